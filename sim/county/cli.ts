import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { untilSignal } from '../../bin/cli-context.ts';

interface SimCountyOpts {
  boxes: string;
  positions?: string;
  gatewayConfig?: string;
  mqttPort: string;
  httpPort: string;
  hardware: string;
  telemetry: string;
  script?: string;
  once?: boolean;
  stdin: boolean;
  dataDir?: string;
}

/** `roadwarden sim county`: a whole county of real edge agents on simulated hardware, with happenings on demand. */
export function registerCountyCli(sim: Command, logger: (cmd: Command) => Logger): void {
  sim
    .command('county')
    .description(
      'a county gateway and N roadside boxes (real edge agents, simulated hardware, links that can be cut), with scripted happenings',
    )
    .option('--boxes <n>', 'how many boxes, spread over the county outline', '10')
    .option(
      '--positions <file>',
      'the boxes instead: a JSON array or a CSV with id,lat,lon[,township,village,crossing,road,name]',
    )
    .option(
      '--gateway-config <file>',
      "the county gateway's configuration (gateway.yaml: responses, tickets, broker …)",
    )
    .option('--mqtt-port <n>', 'gateway MQTT port (0 = any free one)', '0')
    .option('--http-port <n>', 'gateway HTTP port (0 = any free one)', '0')
    .option('--hardware <kind>', 'pty: light and speaker simulated on pty pairs; none: no hardware (big fleets)', 'pty')
    .option('--telemetry <s>', "seconds between each box's telemetry", '60')
    .option('--script <file>', 'happenings, one per line: "<seconds> <command>", e.g. "5 tricycle 3" or "20 cut 4"')
    .option('--once', 'play the script, print a JSON summary and stop (for tests and CI)')
    .option('--data-dir <dir>', 'keep the gateway and boxes here (default: a temporary dir, removed at the end)')
    .option('--no-stdin', 'do not read happenings from standard input')
    .addHelpText(
      'after',
      '\nHappenings (in a script, or typed while it runs): tricycle <box> [riders] [plate] · burn <box> [channel] · fix <box> [channel] · cut <box> · restore <box> · boxes\n' +
        'Example: roadwarden sim county --boxes 20 --script examples/county-day.txt',
    )
    .action(async (o: SimCountyOpts, cmd: Command) => {
      const log = logger(cmd);
      const { County } = await import('../testing/county.ts');
      const { parseScript, happen } = await import('./happenings.ts');
      const { loadGatewayConfig, SYSTEM } = await import('../../gateway/index.ts');
      const hardware = o.hardware === 'none' ? 'none' : o.hardware === 'pty' ? 'pty' : undefined;
      if (!hardware) throw new Error(`--hardware ${o.hardware}: say pty or none`);
      const n = Number(o.boxes);
      if (!o.positions && !(Number.isInteger(n) && n > 0))
        throw new Error(`--boxes ${o.boxes}: a whole number above 0`);
      const script = o.script ? parseScript(readFileSync(o.script, 'utf8')) : [];
      const county = await County.start({
        boxes: o.positions ? readPositions(o.positions) : n,
        gatewayConfig: o.gatewayConfig ? loadGatewayConfig(o.gatewayConfig) : undefined,
        mqttPort: Number(o.mqttPort),
        httpPort: Number(o.httpPort),
        hardware,
        telemetryS: Number(o.telemetry),
        dataDir: o.dataDir,
        logger: log,
      });
      const gw = county.gateway;
      const token = await gw.services.access.tokens.issue(`sim-county-${Date.now()}`, 'admin');
      const say = (l: string) => process.stdout.write(`${l}\n`);
      if (!o.once) {
        say(
          `county: ${county.boxes.length} boxes online; gateway MQTT ${gw.mqttPort}, HTTP http://127.0.0.1:${gw.httpPort}/`,
        );
        say(`API token (admin, shown once): ${token}`);
        say('Type "boxes" or "help"; Ctrl-C stops.');
      }
      const t0 = performance.now();
      const played = (async () => {
        for (const h of script) {
          const wait = t0 + h.atS * 1000 - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          log.info({ atS: h.atS, happening: h.line }, await happen(county, h.line));
        }
      })();
      let rl: ReturnType<typeof createInterface> | undefined;
      if (!o.once && o.stdin && process.stdin.readable) {
        rl = createInterface({ input: process.stdin });
        rl.on('line', (line) => {
          if (!line.trim()) return;
          happen(county, line).then(say, (e: Error) => say(e.message));
        });
      }
      try {
        if (o.once) {
          await played;
          // Let the last happenings reach the gateway (a restored box sends what it kept) and their responses go out.
          await county.settled();
          await new Promise((r) => setTimeout(r, 1000));
          const devices = await gw.services.devices.registry.list();
          const alarms = await gw.services.alarms.query.list(SYSTEM, { limit: 100_000 });
          const cases = await gw.services.responses.cases.list(SYSTEM, { limit: 100_000 });
          const tickets = await gw.services.tickets.tickets.list(SYSTEM, { open: true, limit: 100_000 });
          say(
            JSON.stringify({
              boxes: county.boxes.length,
              online: devices.filter((d) => d.state === 'online').length,
              happenings: script.length,
              alarms: Object.fromEntries(
                county.boxes.map((b) => [b.spec.id, alarms.filter((a) => a.deviceId === b.spec.id).length]),
              ),
              cases: cases.length,
              tickets: tickets.map((t) => ({ deviceId: t.deviceId, kind: t.kind })),
            }),
          );
        } else {
          await untilSignal();
        }
      } finally {
        rl?.close();
        await county.stop();
      }
    });
}

/** Boxes from a file: a JSON array of {id, lat, lon, township?, village?, …}, or a CSV with a header row. */
function readPositions(file: string): Array<{ id: string; lat: number; lon: number } & Record<string, unknown>> {
  const text = readFileSync(file, 'utf8').trim();
  const rows: Array<Record<string, unknown>> = text.startsWith('[')
    ? (JSON.parse(text) as Array<Record<string, unknown>>)
    : (parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Array<Record<string, string>>);
  return rows.map((r, i) => {
    // An empty CSV cell is no position (Number('') would be 0°, in the sea off Africa).
    const num = (v: unknown) =>
      typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : Number.NaN;
    const lat = num(r.lat);
    const lon = num(r.lon);
    if (typeof r.id !== 'string' || !r.id) throw new Error(`${file}: box ${i + 1} has no id`);
    if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180))
      throw new Error(`${file}: box ${r.id} needs lat and lon in degrees (got ${r.lat}, ${r.lon})`);
    const place = Object.fromEntries(
      ['township', 'village', 'crossing', 'road', 'name'].flatMap((k) =>
        typeof r[k] === 'string' && r[k] ? [[k, r[k]]] : [],
      ),
    );
    return { id: r.id, lat, lon, ...place };
  });
}
