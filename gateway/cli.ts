import type Database from 'better-sqlite3';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { createIdGenerator, loadYamlConfig } from '../protocols/index.ts';
import { GatewayConfig, GATEWAY_DEFAULTS } from './config/schema.ts';
import { checkPlans } from './responses/response-plan.ts';
import { Gateway } from './gateway.ts';
import { CredentialStore, type OperatorRole } from './registry/credentials.ts';
import { Registry, type DeviceMeta } from './registry/registry.ts';
import { openDatabase } from './store/database.ts';
import { ApiTokens } from './api/api-tokens.ts';
import { Archive } from './archive/archive.ts';
import { readFileSync } from 'node:fs';
import { TicketStore } from './tickets/ticket-store.ts';
import type { Scope } from './registry/scope.ts';
import { ensureDashboard } from './dashboard/build.ts';
import { loadCountyMap } from './registry/county-map.ts';
import { dirname, resolve } from 'node:path';

/** The map file, relative to the config, must load: a bad outline is found before the gateway starts. */
function checkMap(c: GatewayConfig, configFile: string, problems: string[]): void {
  if (!c.map) return;
  c.map.geojson = resolve(dirname(configFile), c.map.geojson);
  try {
    loadCountyMap(c.map.geojson);
  } catch (e) {
    problems.push(`map.geojson: ${(e as Error).message}`);
  }
}

/** --villages / --townships, comma-separated, as a scope. */
function scopeOf(o: { villages?: string; townships?: string }): Scope {
  const list = (v?: string) => v?.split(',').map((x) => x.trim()).filter(Boolean);
  return { villages: list(o.villages), townships: list(o.townships) };
}

const ROLES: OperatorRole[] = ['gateway', 'admin', 'police', 'village', 'technician'];
const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`port ${v} is not 0–65535`);
  return n;
};

/** Admin commands work straight in the database, so they work with the gateway stopped too. */
async function withDatabase<T>(dataDir: string, fn: (db: Database.Database) => Promise<T> | T): Promise<T> {
  const db = openDatabase(dataDir);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

export function registerGatewayCli(program: Command, logger: (cmd: Command) => Logger, untilSignal: () => Promise<NodeJS.Signals>): void {
  const gw = program.command('gateway').description('the county centre: MQTT broker, device registry, alarms and the three responses');

  gw.command('run', { isDefault: true })
    .description('run the gateway (the default when no subcommand is given)')
    .option('--config <file>', 'gateway.yaml')
    .option('--mqtt-port <n>', `embedded broker port (default ${GATEWAY_DEFAULTS.brokerPort})`, port)
    .option('--http-port <n>', `HTTP API port (default ${GATEWAY_DEFAULTS.httpPort})`, port)
    .option('--data-dir <dir>', `database, broker state and evidence (default ${GATEWAY_DEFAULTS.dataDir})`)
    .option('--check-config', 'only check gateway.yaml (schema, channel names) and exit')
    .action(async (o: { config?: string; mqttPort?: number; httpPort?: number; dataDir?: string; checkConfig?: boolean }, cmd: Command) => {
      const log = logger(cmd);
      const config = o.config ? loadYamlConfig(GatewayConfig, o.config, {
            crossCheck: (c, problems) => {
              if (c.responses) checkPlans(c.responses, problems);
              checkMap(c, o.config!, problems);
            },
          }) : {};
      if (o.checkConfig) {
        const plans = config.responses?.plans.length ?? 0;
        process.stdout.write(`${o.config ?? '(no --config)'}: OK — ${plans} response plan${plans === 1 ? '' : 's'}, ${Object.keys(config.responses?.channels ?? {}).length} channels\n`);
        return;
      }
      const gateway = new Gateway({ config, mqttPort: o.mqttPort, httpPort: o.httpPort, dataDir: o.dataDir, logger: log });
      await gateway.start();
      process.stdout.write(
        `gateway: ${gateway.broker ? `MQTT on port ${gateway.broker.port}${gateway.broker.tlsPort ? `, MQTT/TLS on ${gateway.broker.tlsPort}` : ''}` : `MQTT via ${config.broker?.url}`}, HTTP API on port ${gateway.httpPort}, data in ${gateway.dataDir}\n`,
      );
      const sig = await untilSignal();
      log.info({ signal: sig }, 'stopping gateway');
      await gateway.stop();
    });

  const device = gw.command('device').description("manage devices' MQTT credentials (username = client id = device id)");
  device
    .command('add')
    .description('add a device, or set a new password for it')
    .requiredOption('--id <id>', 'device id, e.g. lc-dongchang-0001')
    .requiredOption('--password <pw>', 'at least 8 characters; stored as a scrypt hash only')
    .option('--name <name>', 'place name shown to people, e.g. "梁水镇 李庄路口"')
    .option('--road <road>', 'road file (一路一档)')
    .option('--crossing <crossing>', 'crossing or village entrance')
    .option('--township <township>', 'township (乡镇)')
    .option('--village <village>', 'village (村)')
    .option('--lat <lat>', 'latitude, WGS-84', Number)
    .option('--lon <lon>', 'longitude, WGS-84', Number)
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .action(async (o: { id: string; password: string; dataDir: string } & Omit<DeviceMeta, 'id'>) => {
      await withDatabase(o.dataDir, async (db) => {
        await new CredentialStore(db).addDevice(o.id, o.password);
        new Registry(db).upsert({ id: o.id, name: o.name, road: o.road, crossing: o.crossing, township: o.township, village: o.village, lat: o.lat, lon: o.lon });
      });
      process.stdout.write(`device ${o.id} added\n`);
    });
  device
    .command('list')
    .description('list devices and operators')
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .option('--json', 'one JSON object per line')
    .action(async (o: { dataDir: string; json?: boolean }) => {
      await withDatabase(o.dataDir, (db) => {
        const places = new Map(new Registry(db).list().map((d) => [d.id, d]));
        for (const r of new CredentialStore(db).list()) {
          const d = places.get(r.username);
          const row = { ...r, ...(d ? { name: d.name, village: d.village, state: d.state, lastSeen: d.lastSeen } : {}) };
          process.stdout.write(o.json ? `${JSON.stringify(row)}\n` : `${r.username}\t${r.kind}\t${r.role}\t${d?.name ?? ''}\t${d?.state ?? ''}\n`);
        }
      });
    });
  device
    .command('remove')
    .description('remove a device (it can no longer connect)')
    .requiredOption('--id <id>', 'device id')
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .action(async (o: { id: string; dataDir: string }) => {
      const removed = await withDatabase(o.dataDir, (db) => new CredentialStore(db).remove(o.id));
      if (!removed) throw new Error(`no device ${o.id}`);
      process.stdout.write(`device ${o.id} removed\n`);
    });

  gw.command('archive')
    .description('三见面一建档: vehicles, owners and drivers on file')
    .command('import <file>')
    .description('check a CSV (plate,class,owner_name,owner_phone,driver_name,township,village) and, with --commit, import it')
    .option('--commit', 'write it (only when every row is valid)')
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { commit?: boolean; dataDir: string; json?: boolean }) => {
      await withDatabase(o.dataDir, (db) => {
        const r = new Archive(db).importCsv(readFileSync(file, 'utf8'), o.commit === true);
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else {
          for (const p of r.problems) process.stdout.write(`line ${p.line}: ${p.errors.join('; ')}\n`);
          process.stdout.write(
            `${r.rows} rows, ${r.valid} valid${r.committed ? `; imported: ${r.added} added, ${r.updated} updated` : r.problems.length ? '; nothing imported' : '; dry run, add --commit to import'}\n`,
          );
        }
        if (r.problems.length) process.exitCode = 1;
      });
    });

  const tickets = gw.command('tickets').description('fault tickets (故障工单) of the boxes: opened from telemetry, closed (销号) after a passing self-test');
  tickets
    .command('list')
    .description('open tickets (or all with --all), newest first')
    .option('--all', 'closed ones too')
    .option('--township <name>', 'only this township')
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .option('--json', 'one JSON object per line')
    .action(async (o: { all?: boolean; township?: string; dataDir: string; json?: boolean }) => {
      await withDatabase(o.dataDir, (db) => {
        const list = new TicketStore(db, createIdGenerator()).list({ open: o.all ? undefined : true, township: o.township, limit: 500 });
        for (const t of list) {
          process.stdout.write(o.json ? `${JSON.stringify(t)}\n` : `${t.id}\t${t.deviceId}\t${t.kind}\t${t.township ?? ''}\t${t.team ?? 'unassigned'}\t${t.closedAt ? `closed ${t.closedAt} by ${t.closedBy}` : t.clearedAt ? 'fault cleared, awaiting 销号' : `open since ${t.openedAt}`}\t${t.detail ?? ''}\n`);
        }
        if (!list.length && !o.json) process.stdout.write('no tickets\n');
      });
    });
  tickets
    .command('summary')
    .description('the daily summary per township: opened, closed, open at the end of the day')
    .option('--day <YYYY-MM-DD>', 'which day (default today, UTC+08:00)')
    .option('--utc-offset <±hh:mm>', 'day boundaries', '+08:00')
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .option('--json', 'print the summary as JSON')
    .action(async (o: { day?: string; utcOffset: string; dataDir: string; json?: boolean }) => {
      await withDatabase(o.dataDir, (db) => {
        const s = new TicketStore(db, createIdGenerator()).daySummary(o.day, o.utcOffset);
        if (o.json) return void process.stdout.write(`${JSON.stringify(s)}\n`);
        process.stdout.write(`fault tickets on ${s.day} (UTC${o.utcOffset})\n`);
        if (!s.townships.length) process.stdout.write('  none\n');
        for (const t of s.townships) {
          const kinds = Object.entries(t.openedByKind).map(([k, n]) => `${k}×${n}`).join(', ');
          process.stdout.write(`  ${(t.township || '(no township)').padEnd(10)} team ${t.team ?? 'unassigned'}: opened ${t.opened}, closed ${t.closed}, open at end of day ${t.openAtEnd}${kinds ? ` (${kinds})` : ''}\n`);
        }
      });
    });

  gw.command('token')
    .description('bearer tokens for the HTTP API')
    .command('add')
    .description('issue a token (printed once; only its hash is stored)')
    .requiredOption('--name <name>', 'who or what uses it')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--villages <list>', 'only these villages (comma-separated): a village cadre sees cases at their boxes and of their villagers')
    .option('--townships <list>', 'only these townships (comma-separated): a police squad sees its area')
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .action(async (o: { name: string; role: string; dataDir: string; villages?: string; townships?: string }) => {
      if (!ROLES.includes(o.role as OperatorRole)) throw new Error(`role "${o.role}" is unknown (${ROLES.join(', ')})`);
      await withDatabase(o.dataDir, (db) => process.stdout.write(`${new ApiTokens(db).issue(o.name, o.role as OperatorRole, scopeOf(o))}\n`));
    });

  gw.command('dashboard')
    .description('the web dashboard served at / on the API port')
    .command('build')
    .description('bundle the dashboard now (npm ci does it; the gateway otherwise does it at its first start)')
    .action(async () => {
      const d = await ensureDashboard();
      process.stdout.write(`dashboard ${d.built ? `built in ${d.ms} ms` : 'already built'}: ${d.dir}\n`);
    });

  gw.command('user')
    .description('operator accounts for county systems and people')
    .command('add')
    .description('add an operator account, or set a new password')
    .requiredOption('--name <name>', 'user name')
    .requiredOption('--password <pw>', 'at least 8 characters')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--villages <list>', 'a village cadre sees only these villages (comma-separated)')
    .option('--townships <list>', 'a police squad sees only these townships (comma-separated)')
    .option('--data-dir <dir>', 'gateway data dir', GATEWAY_DEFAULTS.dataDir)
    .action(async (o: { name: string; password: string; role: string; dataDir: string; villages?: string; townships?: string }) => {
      if (!ROLES.includes(o.role as OperatorRole)) throw new Error(`role "${o.role}" is unknown (${ROLES.join(', ')})`);
      await withDatabase(o.dataDir, (db) => new CredentialStore(db).addOperator(o.name, o.password, o.role as OperatorRole, scopeOf(o)));
      process.stdout.write(`operator ${o.name} (${o.role}) added\n`);
    });
}
