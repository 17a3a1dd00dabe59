import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { untilSignal } from '../bin/cli-context.ts';
import { registerBenchCli } from './bench/cli.ts';
import { registerClusterCli } from './cluster/cli.ts';
import { registerCountyCli } from './county/cli.ts';
import type { HwSimOptions } from './hw-sim.ts';
import { registerDemoCli } from './demo/cli.ts';
import { registerStoryCli } from './story/cli.ts';

interface SimHwOpts {
  pty?: boolean;
  ptyDir: string;
  light?: string;
  speaker?: string;
  sensorFirmata?: string;
  lightUnit: string;
  lightBaud: string;
  lightChannels: string;
  gps?: string;
  strictBaud: boolean;
  sensorPin: string;
  camera: boolean;
  cameraPort: string;
  cameraDir?: string;
  fault: string[];
  burnt: string[];
  json?: boolean;
  stdin: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Everything the simulator offers on the command line: `sim …`, `bench …` and `demo`; each loads its code when it runs. */
export function registerSimCli(program: Command, logger: (cmd: Command) => Logger): void {
  registerClusterCli(program, logger);
  const sim = program.command('sim').description('simulate hardware and fleets for tests, demos and testers');
  registerSimHwCli(sim, logger);
  registerCountyCli(sim, logger);
  registerStoryCli(sim, logger);
  sim
    .command('screenshots')
    .description("the dashboard's main pages as PNGs (the demo's county in headless Chromium), for the docs")
    .option('--out <dir>', 'where the PNGs go', 'docs/screenshots')
    .option('--chromium <path>', 'the Chromium to drive', '/usr/bin/chromium')
    .action(async (o: { out: string; chromium: string }, cmd: Command) => {
      const log = logger(cmd);
      const { takeScreenshots } = await import('./demo/screenshots.ts');
      for (const f of await takeScreenshots({
        out: o.out,
        chromium: o.chromium,
        logger: log,
        onProgress: (m) => log.info(m),
      }))
        process.stdout.write(`${f}\n`);
    });
  registerBenchCli(program, logger);
  registerDemoCli(program, logger);
}

function registerSimHwCli(sim: Command, logger: (cmd: Command) => Logger): void {
  sim
    .command('hw')
    .description("serve a simulated box's hardware on serial ttys and HTTP, with faults on demand")
    .option('--pty', 'create pty pairs for devices given no tty, and print the driver-side paths')
    .option('--pty-dir <dir>', 'where --pty puts its tty links', '/tmp/roadwarden-sim')
    .option('--light <tty>', 'serve the Modbus light controller on this tty')
    .option('--speaker <tty>', 'serve the MP3 module on this tty')
    .option('--sensor-firmata <tty>', 'serve the Firmata board with the presence sensor on this tty')
    .option('--light-unit <n>', 'Modbus slave id of the light controller', '1')
    .option('--light-baud <n>', 'baud rate the light controller was set to', '9600')
    .option('--light-channels <n>', 'lamp channels on the light controller', '4')
    .option(
      '--gps <lat,lon>',
      'also serve an NMEA GPS receiver (pty) with a fix at this position, e.g. 36.4562,115.9854',
    )
    .option(
      '--no-strict-baud',
      'let drivers at any baud talk to the simulated devices (by default a wrong baud is noise, as on a real line)',
    )
    .option('--sensor-pin <n>', 'Firmata pin of the presence sensor', '2')
    .option('--no-camera', 'do not start the virtual IP camera')
    .option('--camera-port <n>', 'HTTP port of the virtual camera (0 = any free port)', '0')
    .option('--camera-dir <dir>', 'serve the images of this folder instead of a test pattern')
    .option(
      '--fault <dev:spec>',
      'start with a line fault, e.g. light:drop=1 or speaker:corrupt=0.5,delay=200 (repeatable)',
      collect,
      [],
    )
    .option('--burnt <channel>', 'start with this lamp burnt out (repeatable)', collect, [])
    .option('--json', 'print the endpoints as one JSON line')
    .option('--no-stdin', 'do not read tester commands from standard input')
    .addHelpText(
      'after',
      '\nWhile running, type commands on stdin: fault light drop=1 · clear light · burn 2 · fix 2 · unplug speaker · replug speaker · sensor on · sensor off · camera dead · camera ok · state',
    )
    .action(async (o: SimHwOpts, cmd: Command) => {
      const log = logger(cmd);
      const [lat, lon] = (o.gps ?? '').split(',').map(Number);
      if (o.gps && !(Math.abs(lat) <= 90 && Math.abs(lon) <= 180))
        throw new Error(`--gps ${o.gps}: write latitude,longitude in degrees, e.g. 36.4562,115.9854`);
      const opts: HwSimOptions = {
        pty: o.pty,
        ptyDir: o.ptyDir,
        logger: log,
        strictBaud: o.strictBaud,
        light:
          o.light || o.pty
            ? {
                tty: o.light,
                unit: Number(o.lightUnit),
                baudRate: Number(o.lightBaud),
                channels: Number(o.lightChannels),
              }
            : false,
        gps: o.gps ? { lat, lon, acquireMs: 3000 } : false,
        speaker: o.speaker || o.pty ? { tty: o.speaker } : false,
        sensor: o.sensorFirmata || o.pty ? { tty: o.sensorFirmata, pin: Number(o.sensorPin) } : false,
        camera: o.camera ? { port: Number(o.cameraPort), dir: o.cameraDir } : false,
      };
      const { HardwareSimulator } = await import('./hw-sim.ts');
      const hw = new HardwareSimulator(opts);
      const signal = untilSignal();
      const endpoints = await hw.start();
      for (const f of o.fault) {
        const [dev, spec] = f.split(':', 2);
        log.info(await hw.control(`fault ${dev} ${spec ?? ''}`));
      }
      for (const ch of o.burnt) log.info(await hw.control(`burn ${ch}`));
      if (o.json) process.stdout.write(`${JSON.stringify(endpoints)}\n`);
      else {
        for (const [k, v] of Object.entries(endpoints)) process.stdout.write(`${k.padEnd(8)} ${v}\n`);
        const args = Object.entries(endpoints)
          .filter(([k]) => k !== 'gps')
          .map(([k, v]) => `--${k} '${v}'`)
          .join(' ');
        process.stdout.write(
          `\nIn another terminal:\n  roadwarden hw test ${args}\n\nType "help" for tester commands; Ctrl-C stops.\n`,
        );
      }
      let rl: ReturnType<typeof createInterface> | undefined;
      if (o.stdin && process.stdin.readable) {
        rl = createInterface({ input: process.stdin });
        rl.on('line', (line) => {
          if (!line.trim()) return;
          hw.control(line).then(
            (msg) => process.stdout.write(`${msg}\n`),
            (e: Error) => process.stdout.write(`${e.message}\n`),
          );
        });
      }
      const sig = await signal;
      log.info({ signal: sig }, 'stopping hardware simulator');
      rl?.close();
      await hw.stop();
    });
}
