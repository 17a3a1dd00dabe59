import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { BenchLine } from './report.ts';

interface BenchSpec {
  name: string;
  description: string;
  /**
   * option name (also the option key), help, default; values are numbers or comma-separated lists
   * of numbers, or with a fourth element, words from that list
   */
  options: Array<[string, string, string] | [string, string, string, readonly string[]]>;
  /** imports the bench only when it runs, so `--help` loads no bench (nor Chromium's driver) */
  run: (
    o: Record<string, number[]>,
    onProgress: (m: string) => void,
    words: Record<string, string[]>,
  ) => Promise<BenchLine[]>;
}

const BENCHES: BenchSpec[] = [
  {
    name: 'cluster',
    description:
      'a prefecture on loopback (3 RabbitMQ nodes, gateway workers, PostgreSQL): steady heartbeats with alarms (publish → notification), alarms through a kill -9 of the consuming worker and of a broker node, and publishes with 2 of 3 nodes down',
    options: [
      ['alarms', 'alarms sent through the kills', '10000'],
      ['boxes', 'boxes sending them, spread over the nodes', '50'],
      ['workers', 'gateway workers', '2'],
      ['window', 'QoS 1 publishes a box keeps in flight', '8'],
      ['rate', 'messages per second in the steady run (20,000 boxes at a 30 s heartbeat: 667)', '667'],
      ['seconds', 'length of the steady run', '300'],
      ['fleet', 'boxes connected at once in the fleet run (each with its own account)', '20000'],
      [
        'parts',
        'which runs, comma-separated: steady, kills (worker and node kill -9), fleet (connected boxes, every node restarted), quorum (2 of 3 nodes down), sqlite (one gateway on its defaults)',
        'steady,kills,fleet,quorum,sqlite',
        ['steady', 'kills', 'fleet', 'quorum', 'sqlite'],
      ],
    ],
    run: async (o, onProgress, words) =>
      (await import('./cluster-bench.ts')).runClusterBench({
        fleet: o.fleet[0],
        parts: words.parts,
        alarms: o.alarms[0],
        boxes: o.boxes[0],
        workers: o.workers[0],
        window: o.window[0],
        rate: o.rate[0],
        seconds: o.seconds[0],
        onProgress,
      }),
  },
  {
    name: 'faces',
    description:
      'face search: the index built from sealed descriptors as at start, searches from fresh sightings end to end (approximate candidates, exact re-rank), recall@10 against exact search',
    options: [
      ['count', 'descriptors stored (1,000,000 takes ~8 GB of RAM and disk)', '1000000'],
      ['queries', 'searches measured', '300'],
    ],
    run: async (o, onProgress) =>
      (await import('./face-bench.ts')).runFaceBench({ count: o.count[0], queries: o.queries[0], onProgress }),
  },
  {
    name: 'chaos',
    description:
      'kill -9 of the gateway at random moments, then every box’s link cut, while boxes send alarms (QoS 2), counted from its database and at the webhook receiver; fuzzed payloads from a box, then every API endpoint; noise on a Firmata line',
    options: [
      ['alarms', 'alarms sent during the kills', '3000'],
      ['boxes', 'boxes sending them', '20'],
      ['kills', 'kill -9 of the gateway during the run', '3'],
      ['cut', 'seconds every box’s link is cut in the second run', '60'],
      ['fuzz', 'fuzzed payloads', '10000'],
    ],
    run: async (o, onProgress) =>
      (await import('./chaos-bench.ts')).runChaosBench({
        alarms: o.alarms[0],
        boxes: o.boxes[0],
        kills: o.kills[0],
        cut: o.cut[0],
        fuzz: o.fuzz[0],
        onProgress,
      }),
  },
  {
    name: 'hw',
    description: 'Modbus framer throughput on a noisy stream, and flash() → request frame on the tty latency',
    options: [
      ['frames', 'frames in the noisy stream', '100000'],
      ['flashes', 'flash() calls measured', '300'],
    ],
    run: async (o, onProgress) =>
      (await import('./hw-bench.ts')).runHwBench({ frames: o.frames[0], flashes: o.flashes[0], onProgress }),
  },
  {
    name: 'edge',
    description:
      'presence trigger → light frame latency (while telemetry flows), durable outbox appends/s, resend/s after reconnect, RSS',
    options: [
      ['triggers', 'presence triggers measured', '200'],
      ['appends', 'durable outbox appends', '2000'],
      ['resend', 'queued messages resent after reconnect', '5000'],
    ],
    run: async (o, onProgress) =>
      (await import('./edge-bench.ts')).runEdgeBench({
        triggers: o.triggers[0],
        appends: o.appends[0],
        resend: o.resend[0],
        onProgress,
      }),
  },
  {
    name: 'gateway',
    description:
      'alarm published → all three responses sent (steady rate), sustained persisted alarms/s (burst), RSS; then the gateway as its own process: QoS 1 publish/s next to Mosquitto, and fleets of boxes with heartbeats (its RSS and CPU)',
    options: [
      ['rate', 'alarms per second for the latency run', '200'],
      ['seconds', 'length of the latency run', '10'],
      ['burst', 'alarms in the throughput burst', '3000'],
      ['devices', 'simulated devices publishing alarms', '20'],
      ['messages', 'QoS 1 messages for publish_per_s (ours and Mosquitto)', '20000'],
      ['fleet', 'fleet sizes for devices_connected, comma-separated', '1000,10000'],
      ['heartbeat', 'seconds between a box’s telemetry heartbeats', '30'],
      ['window', 'seconds measured at each fleet size', '30'],
      [
        'storage',
        'where the gateway keeps its records for the latency and burst runs: sqlite, postgres (a schema of its own in RW_BENCH_PG_URL, default the local test database), comma-separated',
        'sqlite',
        ['sqlite', 'postgres'],
      ],
    ],
    run: async (o, onProgress, words) => [
      ...(await (
        await import('./gateway-bench.ts')
      ).runGatewayBenchOn(words.storage as Array<'sqlite' | 'postgres'>, {
        rate: o.rate[0],
        seconds: o.seconds[0],
        burst: o.burst[0],
        devices: o.devices[0],
        onProgress,
      })),
      ...(await (
        await import('./fleet-bench.ts')
      ).runFleetBench({
        messages: o.messages[0],
        fleet: o.fleet,
        heartbeatS: o.heartbeat[0],
        windowS: o.window[0],
        onProgress,
      })),
    ],
  },
  {
    name: 'install',
    description:
      'release bundles installed as a box and a county server install them (npm ci --omit=dev in a clean folder: time, size), then start time and RSS of the gateway and the box agent, compiled against the sources through tsx',
    options: [['runs', 'starts measured per program and runtime', '5']],
    run: async (o, onProgress) => (await import('./install-bench.ts')).runInstallBench({ runs: o.runs[0], onProgress }),
  },
  {
    name: 'ota',
    description:
      'agent updates to installed boxes under a systemd stand-in: a good bundle (rollout → every box healthy, each box command → healthy), then a bundle that crashes (rollout → halted at the canaries)',
    options: [
      ['boxes', 'installed boxes (each a real agent process)', '50'],
      ['canary', 'canary share in percent', '10'],
    ],
    run: async (o, onProgress) =>
      (await import('./ota-bench.ts')).runOtaBench({ boxes: o.boxes[0], canary: o.canary[0], onProgress }),
  },
  {
    name: 'technician',
    description:
      'auto-probe time to find a light controller (default, slave 7 @ 19200, slave 16 @ 57600), a whole self-test, telemetry/s through intake with fault tickets',
    options: [
      ['runs', 'repetitions of each probe and self-test', '3'],
      ['devices', 'boxes sending telemetry', '1000'],
      ['messages', 'telemetry messages through intake', '20000'],
    ],
    run: async (o, onProgress) =>
      (await import('./technician-bench.ts')).runTechnicianBench({
        runs: o.runs[0],
        devices: o.devices[0],
        messages: o.messages[0],
        onProgress,
      }),
  },
  {
    name: 'dashboard',
    description:
      'first load of the alarm list in headless Chromium with 10,000 stored alarms (until 50 cards and their photos are on screen), the API page behind it, the bundle size',
    options: [
      ['alarms', 'alarms stored before loading', '10000'],
      ['loads', 'first loads measured (each in a fresh browser context)', '10'],
    ],
    run: async (o, onProgress) =>
      (await import('./dashboard-bench.ts')).runDashboardBench({ alarms: o.alarms[0], loads: o.loads[0], onProgress }),
  },
  {
    name: 'vision',
    description:
      'the built-in detector and a whole violation frame (1280×720), the plate stages (PP-OCR text detection, plate line recognition, the whole plate search), BlazeFace and the face descriptor, the gateway’s search for a driver by face; RSS with every model loaded once',
    options: [
      ['frames', 'frames measured per stage', '30'],
      ['faces', 'earlier sightings the gateway searches by face', '10000'],
    ],
    run: async (o, onProgress) =>
      (await import('./vision-bench.ts')).runVisionBench({ frames: o.frames[0], faces: o.faces[0], onProgress }),
  },
];

export function registerBenchCli(program: Command, logger: (cmd: Command) => Logger): void {
  const bench = program
    .command('bench')
    .description(
      'benchmarks: one JSON line per metric on stdout ({bench, metric, unit, median/p99/n or value}); logs on stderr',
    );
  for (const b of BENCHES) {
    const cmd = bench.command(b.name).description(b.description);
    const choices = new Map(b.options.flatMap((x) => (x[3] ? [[x[0], x[3]] as const] : [])));
    for (const [name, help, def] of b.options) cmd.option(`--${name} <${choices.has(name) ? 'list' : 'n'}>`, help, def);
    cmd.action(async (o: Record<string, string>, c: Command) => {
      const log = logger(c);
      const list = (k: string) => String(o[k]).split(',');
      const words = Object.fromEntries([...choices.keys()].map((k) => [k, list(k)]));
      for (const [k, allowed] of choices) {
        const wrong = words[k].find((w) => !allowed.includes(w));
        if (wrong) throw new Error(`--${k}: "${wrong}" is not one of ${allowed.join(', ')}`);
      }
      const nums = Object.fromEntries(
        Object.keys(o)
          .filter((k) => !choices.has(k))
          .map((k) => [k, list(k).map(Number)]),
      );
      const bad = Object.entries(nums).find(([, v]) => v.some((x) => !Number.isFinite(x) || x < 0));
      if (bad) throw new Error(`--${bad[0]} must be a number (or numbers separated by commas), not "${o[bad[0]]}"`);
      const { emit } = await import('./report.ts');
      for (const l of await b.run(nums, (m) => log.info(m), words)) emit(l);
    });
  }
  bench
    .command('scenes [dir]')
    .description(
      'the vision pipeline on real road photos scored against labels: plates exact, wrong-but-valid and missed (whole frame and inside vehicles), vehicles, riders and people found, violations flagged, time per frame',
    )
    .option('--truth <file>', 'the labels (default: sim/vision/scene-labels.yaml, for ../shared/fixtures/scenes)')
    .option('--models <models.yaml>', 'a detector manifest (default: the built-in COCO CenterNet)')
    .option('--tricycle-classes <list>', 'detector classes treated as tricycles, comma-separated')
    .action(
      async (dir: string | undefined, o: { truth?: string; models?: string; tricycleClasses?: string }, c: Command) => {
        const log = logger(c);
        const [{ runScenesBench }, { emit }, { SHARED_SCENES }] = await Promise.all([
          import('./scenes-bench.ts'),
          import('./report.ts'),
          import('../vision/scene-labels.ts'),
        ]);
        const lines = await runScenesBench({
          dir: dir ?? SHARED_SCENES,
          truth: o.truth,
          models: o.models,
          tricycleClasses: o.tricycleClasses?.split(',').filter(Boolean),
          onProgress: (m) => log.info(m),
        });
        for (const l of lines) emit(l);
      },
    );
}
