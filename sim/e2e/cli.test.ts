import { spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from '../testing/gateway-process.ts';
import { runCli } from '../testing/run-cli.ts';
import { SHARED_SCENES } from '../vision/scene-labels.ts';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../vision/synthetic-plate.ts';
import { TINY_YOLO_CLASSES, tinyYoloModel } from '../vision/tiny-yolo.ts';
import { afterEach, describe, expect, it } from 'vitest';

const run = (args: string[], timeoutMs = 60_000, env?: Record<string, string>) => runCli(args, { timeoutMs, env });

/** Start `roadwarden sim hw` and wait for its endpoints line. */
function startSim(args: string[]): Promise<{ proc: ChildProcess; endpoints: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, '--log-level', 'warn', 'sim', 'hw', '--json', '--no-stdin', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ proc, endpoints: JSON.parse(line) as Record<string, string> });
    });
    proc.on('exit', (code) => reject(new Error(`sim hw exited ${code}: ${err}`)));
  });
}

// Every test here starts real processes (Node + tsx, often several): they get a minute each.
describe('roadwarden CLI, as a newcomer uses it', { timeout: 60_000 }, () => {
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const ptyDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-cli-'));
    dirs.push(d);
    return d;
  };

  it('`sim hw --pty` in one process, `hw test` against its ttys in another: every check passes', async () => {
    const { proc, endpoints } = await startSim(['--pty', '--pty-dir', ptyDir()]);
    procs.push(proc);
    expect(Object.keys(endpoints).sort()).toEqual(['camera', 'light', 'sensor', 'speaker']);
    const r = await run(['hw', 'test', '--json', ...Object.entries(endpoints).flatMap(([k, v]) => [`--${k}`, v])]);
    const results = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ok: boolean; check: string; device: string });
    // The failing checks first: they say what went wrong, the exit code only that something did.
    expect(
      results.filter((x) => !x.ok),
      r.stderr,
    ).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    expect(results.length).toBeGreaterThanOrEqual(10);
  });

  it('with faults injected, the matching checks fail with a clear message and the exit code says so', async () => {
    const { proc, endpoints } = await startSim([
      '--pty',
      '--pty-dir',
      ptyDir(),
      '--burnt',
      '3',
      '--fault',
      'speaker:drop=1',
      '--no-camera',
    ]);
    procs.push(proc);
    const logDir = ptyDir();
    const r = await run(
      ['--log-level', 'debug', 'hw', 'test', '--light', endpoints.light, '--speaker', endpoints.speaker],
      60_000,
      {
        RW_LOG_DIR: logDir,
      },
    );
    expect(r.code).toBe(1);
    // The terminal shows people's lines only; the log (the speaker's timeouts) is in its file.
    expect(r.stderr).not.toMatch(/"level":/);
    expect(r.stdout).not.toMatch(/"level":/);
    expect(readFileSync(join(logDir, 'hw-test.log'), 'utf8')).toMatch(/^\{"level":/m);
    expect(r.stdout).toMatch(/FAIL\s+light\s+channel 3 lamp lights\s+channel 3: lamp open circuit/);
    expect(r.stdout).toMatch(/PASS\s+light\s+channel 2 lamp lights/);
    expect(r.stdout).toMatch(/FAIL\s+speaker\s+player answers\s+MP3 module did not answer/);
    expect(r.stdout).toMatch(/2 of \d+ checks FAILED/);
  });

  it('refuses a bad device spec with a message, not a stack trace', async () => {
    const r = await run(['hw', 'test', '--light', 'modbus:/dev/ttyUSB0?unit=999']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unit=999 must be a whole number 1–247/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('a missing port fails the check by name', async () => {
    const r = await run(['hw', 'test', '--light', `modbus:${join(ptyDir(), 'nothing')}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+light\s+controller answers\s+serial port .*nothing is not open/);
  });

  it('`sim story --once` plays the self-test story: pass, faults caught, pass after repair', async () => {
    const r = await run(['sim', 'story', '--once', '--pty-dir', ptyDir()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/all 11 checks passed/);
    expect(r.stdout).toMatch(/FAIL\s+light\s+channel 2 lamp lights/);
    expect(r.stdout).toMatch(/all 10 checks passed/);
  });

  it('`sim county --once` plays a script of happenings over real boxes and sums up what the gateway holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-cli-county-'));
    dirs.push(dir);
    const script = join(dir, 'day.txt');
    writeFileSync(
      script,
      '# a short day\n0.5 tricycle 1 4\n1 burn 2 2\n1.5 tricycle 2\n2 cut 3\n2.5 tricycle 3\n4 restore 3\n',
    );
    const r = await run([
      '--log-level',
      'error',
      'sim',
      'county',
      '--boxes',
      '3',
      '--telemetry',
      '1',
      '--script',
      script,
      '--once',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({
      boxes: 3,
      online: 3,
      happenings: 6,
      alarms: { 'lc-sim-0001': 1, 'lc-sim-0002': 1, 'lc-sim-0003': 1 },
      tickets: [{ deviceId: 'lc-sim-0002', kind: 'lamp_fault' }],
    });
    writeFileSync(script, '5 tricycle 1\nsoon cut 2\n');
    const bad = await run(['sim', 'county', '--boxes', '1', '--script', script, '--once']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/script line 2: "soon cut 2"/);
  });

  it('`sim county --positions` places boxes from a CSV (quoted fields too) and refuses a box without a position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-cli-pos-'));
    dirs.push(dir);
    const csv = join(dir, 'boxes.csv');
    writeFileSync(
      csv,
      'id,lat,lon,township,village\nlc-p-0001,36.45,115.98,梁水镇,"李庄, 东头"\nlc-p-0002,36.46,115.99,梁水镇,王屯村\n',
    );
    const script = join(dir, 'day.txt');
    writeFileSync(script, '0.5 tricycle lc-p-0001\n');
    const r = await run([
      '--log-level',
      'error',
      'sim',
      'county',
      '--positions',
      csv,
      '--hardware',
      'none',
      '--script',
      script,
      '--once',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      boxes: 2,
      online: 2,
      alarms: { 'lc-p-0001': 1, 'lc-p-0002': 0 },
    });
    writeFileSync(csv, 'id,lat,lon\nlc-p-0003,,115.98\n');
    const bad = await run(['sim', 'county', '--positions', csv, '--once']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/box lc-p-0003 needs lat and lon in degrees/);
  });

  it('`demo --once --json` plays one alarm through its three responses and ends with the JSON summary', async () => {
    const r = await run(['demo', '--once', '--json']);
    expect(r.code).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).toMatchObject({
      alarm_id: expect.any(String),
      case: 'closed',
      responses: { onsite: 'done', village: 'done', police: 'done' },
      ms: expect.any(Number),
    });
    expect(r.stderr).toMatch(/The box warns at once, no network needed: light_flash, voice_clip_2/);
  });

  it('`bench hw` prints only bench JSON lines on stdout', async () => {
    const r = await run(['bench', 'hw', '--frames', '2000', '--flashes', '20']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.metric)).toEqual(['modbus_frames_per_s', 'flash_to_tty_ms', 'rss_mb']);
    for (const l of lines) {
      expect(l.bench).toBe('hw');
      expect(typeof l.unit).toBe('string');
      expect(typeof l.value === 'number' || (typeof l.median === 'number' && typeof l.p99 === 'number')).toBe(true);
    }
    const flash = lines[1] as { median: number; p99: number; n: number };
    expect(flash.n).toBe(20);
    expect(flash.median).toBeGreaterThan(0);
    expect(flash.p99).toBeGreaterThanOrEqual(flash.median);
  });

  it('`bench edge` prints its four metrics as bench JSON lines', async () => {
    const r = await run(['bench', 'edge', '--triggers', '10', '--appends', '200', '--resend', '300']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.metric)).toEqual([
      'trigger_to_light_ms',
      'outbox_appends_per_s',
      'resend_per_s',
      'rss_mb',
    ]);
    expect(lines[0]).toMatchObject({ bench: 'edge', unit: 'ms', n: 10 });
    for (const l of lines.slice(1)) expect(l.value as number).toBeGreaterThan(0);
  });

  it.skipIf(!haveCjkFont())(
    '`recognize --stage plate` reads a folder: one JSON line per image, a bad file reported, boxes drawn, names scored',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rw-recognize-'));
      try {
        writeFileSync(
          join(dir, '鲁PA1234.jpg'),
          await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 400, y: 400, plateWidth: 240 }),
        );
        writeFileSync(join(dir, '鲁P12345.jpg'), await renderPlate({ text: '鲁P12345', rows: 2 }));
        writeFileSync(join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]));
        const r = await run([
          'recognize',
          dir,
          '--stage',
          'plate',
          '--json',
          '--annotate',
          join(dir, 'out'),
          '--score-names',
        ]);
        expect(r.code, r.stderr).toBe(0);
        const lines = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(lines).toHaveLength(4);
        expect(lines[0]).toMatchObject({
          file: join(dir, 'broken.jpg'),
          error: expect.stringContaining('cannot read'),
        });
        expect(lines[1]).toMatchObject({
          file: join(dir, '鲁P12345.jpg'),
          plates: [{ text: '鲁P12345', rows: 2, colour: 'yellow', valid: true }],
        });
        expect(lines[2]).toMatchObject({
          file: join(dir, '鲁PA1234.jpg'),
          plates: [{ text: '鲁PA1234', rows: 1, colour: 'blue', valid: true }],
        });
        expect(lines[3]).toEqual({ images: 2, exact: 2, exact_rate: 1, char_accuracy: 1 });
        expect(readdirSync(join(dir, 'out')).sort()).toEqual(['鲁P12345.jpg', '鲁PA1234.jpg']);
        writeFileSync(join(dir, 'tiny.onnx'), tinyYoloModel('yolov8'));
        writeFileSync(
          join(dir, 'models.yaml'),
          `models:\n  - name: tiny\n    task: objects\n    file: tiny.onnx\n    input: { width: 64, height: 64 }\n    decoder: yolov8\n    classes: [${TINY_YOLO_CLASSES.join(', ')}]\n`,
        );
        const frame = join(dir, 'frames');
        mkdirSync(frame);
        writeFileSync(
          join(frame, 'cam-0001.jpg'),
          await sceneWithPlate(await renderPlate({ text: '鲁PA1234' }), { x: 560, y: 400, plateWidth: 160 }),
        );
        const all = await run([
          'recognize',
          frame,
          '--models',
          join(dir, 'models.yaml'),
          '--max-riders',
          'tricycle=0',
          '--json',
        ]);
        expect(all.code, all.stderr).toBe(0);
        expect(JSON.parse(all.stdout.trim())).toMatchObject({
          file: join(frame, 'cam-0001.jpg'),
          persons: 2,
          vehicles: [
            { class: 'tricycle', riders: 1, violation: true, kind: 'tricycle_passengers', plate: { text: '鲁PA1234' } },
          ],
        });
        const text = await run(['recognize', frame, '--models', join(dir, 'models.yaml')]);
        expect(text.stdout).toMatch(/tricycle with 1 rider: ok/);
        const other = await run(['recognize', dir, '--stage', 'faces']);
        expect(other.code).toBe(1);
        expect(other.stderr).toMatch(/stage "faces" is not available/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!haveCjkFont())(
    '`bench vision` prints the detector, a whole violation frame, the plate and face stages and the face descriptor as bench JSON lines',
    async () => {
      const r = await run(['bench', 'vision', '--frames', '2', '--faces', '50']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.metric)).toEqual([
        'detector_ms',
        'nanodet_ms',
        'pipeline_ms',
        'plate_det_ms',
        'plate_rec_ms',
        'plate_pipeline_ms',
        'face_det_ms',
        'embedding_ms',
        'face_match_ms',
        'rss_mb',
      ]);
      for (const l of lines.slice(0, 9))
        expect(l).toMatchObject({ bench: 'vision', unit: 'ms', n: 2, median: expect.any(Number) });
      // The whole search includes detection and recognition, so it takes longer than either;
      // a violation frame goes through the detector and the plate search, so it takes longer than both.
      expect(lines[5].median as number).toBeGreaterThan(lines[4].median as number);
      expect(lines[2].median as number).toBeGreaterThan(lines[0].median as number);
      expect(lines[2]).toMatchObject({ plate: '鲁PA1234' });
      expect(lines[8]).toMatchObject({ sightings: 50 });
    },
  );

  it.skipIf(!existsSync(SHARED_SCENES))(
    "`bench scenes` scores real photos against the labels and measures a box's vision worker alone (skipped without ../shared/fixtures/scenes)",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rw-scenes-'));
      try {
        // A street with riders, a truck's plate close up, a car park with three plates.
        for (const f of ['scene-01.jpg', 'scene-24.jpg', 'scene-31.jpg'])
          symlinkSync(join(SHARED_SCENES, f), join(dir, f));
        const r = await run(['bench', 'scenes', dir], 240_000);
        expect(r.code, r.stderr).toBe(0);
        const lines = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const by = Object.fromEntries(lines.map((l) => [l.metric, l]));
        expect(by.frame_plates_exact).toMatchObject({ of: 1 + 1 + 3 });
        expect(by.vehicles_found).toMatchObject({ of: 12 + 1 + 6 });
        expect(by.frame_ms).toMatchObject({ n: 3 });
        // The worker ran every frame in its own process, and holds its models: more than before it started.
        expect(by.box_rss).toMatchObject({ frames: 3, errors: 0 });
        expect(by.box_rss.value as number).toBeGreaterThan(by.box_rss.before_vision as number);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    300_000,
  );

  it.skipIf(!existsSync('/usr/bin/chromium'))(
    '`bench dashboard` prints the first load in Chromium, the API page and the bundle size as bench JSON lines',
    async () => {
      const r = await run(['bench', 'dashboard', '--alarms', '300', '--loads', '2']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.metric)).toEqual(['first_load_ms', 'alarms_api_ms', 'bundle_kb']);
      expect(lines[0]).toMatchObject({ bench: 'dashboard', unit: 'ms', n: 2, alarms_stored: 300, rendered: 50 });
      // The page needs the API page and then some: loading it cannot be quicker than its data.
      expect(lines[0].median as number).toBeGreaterThan(lines[1].median as number);
      expect(lines[2].value as number).toBeGreaterThan(5);
    },
    90_000,
  );

  it('`bench chaos` kills the gateway (and Mosquitto), cuts links, fuzzes and shakes a serial line: nothing lost', async () => {
    const r = await run(
      ['bench', 'chaos', '--alarms', '200', '--boxes', '4', '--kills', '1', '--cut', '2', '--fuzz', '300'],
      190_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.metric, l.broker])).toEqual([
      ['gateway_kill9', 'embedded'],
      ['gateway_kill9', 'mosquitto'],
      ['link_cut', 'embedded'],
      ['fuzz_mqtt', undefined],
      ['serial_noise', undefined],
    ]);
    for (const l of lines.slice(0, 3)) {
      expect(l).toMatchObject({ sent: 200, acked: 200, uncased: 0, duplicate_cases: 0, duplicate_notifications: 0 });
      expect(l).toMatchObject({ crashes: 0, cased: l.stored });
      expect((l.stored as number) + (l.acked_lost as number)).toBe(200);
    }
    // The embedded broker writes before it acknowledges: nothing acknowledged is lost. Mosquitto
    // saves after, so a kill -9 of it may lose what it had acknowledged (counted, not hidden).
    for (const l of [lines[0], lines[2]]) expect(l).toMatchObject({ stored: 200, acked_lost: 0 });
    expect([lines[0]!.kills, lines[1]!.kills, lines[1]!.broker_kills]).toEqual([1, 1, 1]);
    expect(lines[2]!.cut_s).toBe(2);
    expect(lines[3]).toMatchObject({ sent: 300, crashes: 0, endpoint_5xx: 0 });
    expect(lines[3]!.endpoints as number).toBeGreaterThan(10);
    expect(lines[4]).toMatchObject({ false_triggers: 0, real_arrival_seen: true });
  }, 200_000);

  it('`bench technician` prints probe, self-test and ticket-intake metrics as bench JSON lines', async () => {
    const r = await run(['bench', 'technician', '--runs', '1', '--devices', '20', '--messages', '200'], 150_000);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.metric)).toEqual([
      'probe_s',
      'probe_s',
      'probe_s',
      'selftest_s',
      'telemetry_per_s',
      'telemetry_with_tickets_per_s',
      'rss_mb',
    ]);
    expect(lines.slice(0, 3).map((l) => [l.slave, l.baud, l.unit])).toEqual([
      [1, 9600, 's'],
      [7, 19200, 's'],
      [16, 57600, 's'],
    ]);
    // Further along the search order takes longer: the probe really walks bauds and slave ids.
    expect(lines[2].median as number).toBeGreaterThan(lines[1].median as number);
    expect(lines[1].median as number).toBeGreaterThan(lines[0].median as number);
    expect(lines[5]).toMatchObject({ n: 200, devices: 20 });
    expect(lines[5].tickets_opened as number).toBeGreaterThan(0);
  }, 160_000);

  it('`bench gateway` prints its metrics as bench JSON lines', async () => {
    const r = await run([
      'bench',
      'gateway',
      '--rate',
      '20',
      '--seconds',
      '1',
      '--burst',
      '50',
      '--devices',
      '4',
      '--messages',
      '300',
      '--fleet',
      '20,40',
      '--heartbeat',
      '1',
      '--window',
      '2',
    ]);
    expect(r.code).toBe(0);
    const all = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Where the steady run's time went, one line per stage from the gateway's histograms.
    const stages = all.filter((l) => l.metric === 'stage_ms');
    expect(stages.map((l) => l.stage)).toEqual([
      'intake: validate + store',
      'case + 3 responses written',
      'stored → all three sent',
      'channel v',
      'channel p',
    ]);
    for (const l of stages) expect(l).toMatchObject({ n: 20, median: expect.any(Number), p99: expect.any(Number) });
    const lines = all.filter((l) => l.metric !== 'stage_ms');
    expect(lines.map((l) => l.metric)).toEqual([
      'ingest_to_dispatch_ms',
      'alarms_per_s',
      'rss_mb',
      'publish_per_s',
      'devices_connected',
      'devices_connected',
      'reconnect_all_s',
    ]);
    expect(lines[0]).toMatchObject({ bench: 'gateway', unit: 'ms', n: 20 });
    expect(lines[1].value as number).toBeGreaterThan(0);
    expect(lines[3]).toMatchObject({ n: 300, ratio_vs_mosquitto: expect.any(Number) });
    expect(lines.slice(4, 6).map((l) => l.value)).toEqual([20, 40]);
    // Every heartbeat sent in the window was stored but those still in flight at its end.
    for (const l of lines.slice(4, 6)) expect(l.heartbeats_stored as number).toBeGreaterThan(0);
    expect(lines[5].rss_mb as number).toBeGreaterThan(20);
    // The whole fleet, each box with its own credential, back after a gateway restart.
    expect(lines[6]).toMatchObject({ unit: 's', devices: 40 });
  });

  it('`edge --check-config` accepts the example and names what is wrong in a bad one', async () => {
    const example = fileURLToPath(new URL('../../examples/edge.yaml', import.meta.url));
    const ok = await run(['edge', '--config', example, '--check-config'], 60_000, {
      RW_DEVICE_PASSWORD: 'x',
      RW_CAMERA_PASSWORD: 'y',
      RW_STORAGE_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/valid \(device lc-dongchang-0001, 2 rules, 3 schedules\)/);
    const bad = await run(['edge', '--config', example, '--check-config']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/gateway\.password: environment variable RW_DEVICE_PASSWORD is not set/);
  });

  it('`gateway --check-config` accepts the example and names a missing secret or an unknown channel', async () => {
    const example = fileURLToPath(new URL('../../examples/gateway.yaml', import.meta.url));
    const secrets = {
      VILLAGE_HMAC: 'village-hmac-0123456789',
      POLICE_HMAC: 'police-hmac-0123456789',
      SMS_TOKEN: 'sms-token-123',
    };
    const ok = await run(['gateway', '--config', example, '--check-config'], 60_000, secrets);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/OK — 2 response plans: /);
    expect(ok.stdout.match(/ \((webhook|sms|mqtt|dashboard)\)/g)).toHaveLength(4);
    const noSecret = await run(['gateway', '--config', example, '--check-config'], 60_000, {
      VILLAGE_HMAC: 'village-hmac-0123456789',
      POLICE_HMAC: 'police-hmac-0123456789',
    });
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(/SMS_TOKEN is not set/);
    const bad = join(ptyDir(), 'gateway.yaml');
    writeFileSync(bad, readFileSync(example, 'utf8').replace('escalateTo: county-bus', 'escalateTo: county-bsu'));
    const wrong = await run(['gateway', '--config', bad, '--check-config'], 60_000, secrets);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/police\.escalateTo: no channel named "county-bsu"/);
    writeFileSync(
      bad,
      readFileSync(example, 'utf8').replace('geojson: county-map.geojson', 'geojson: county-mpa.geojson'),
    );
    const noMap = await run(['gateway', '--config', bad, '--check-config'], 60_000, secrets);
    expect(noMap.code).toBe(1);
    expect(noMap.stderr).toMatch(/map\.geojson: map .*county-mpa\.geojson: no such file/);
  });

  // About ten CLI runs in a row, each starting Node and tsx, some hashing with scrypt.
  it('`gateway device add/list/remove` manage credentials in the data dir; the gateway runs on a chosen port', {
    timeout: 60_000,
  }, async () => {
    const dataDir = ptyDir();
    const add = await run([
      'gateway',
      'device',
      'add',
      '--id',
      'lc-cli-0001',
      '--password',
      'a-long-secret',
      '--name',
      '梁水镇 李庄路口',
      '--village',
      '李庄',
      '--lat',
      '36.4562',
      '--lon',
      '115.9854',
      '--data-dir',
      dataDir,
    ]);
    expect(add.code).toBe(0);
    const list = await run(['gateway', 'device', 'list', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(list.stdout.trim())).toMatchObject({
      username: 'lc-cli-0001',
      kind: 'device',
      name: '梁水镇 李庄路口',
      village: '李庄',
      state: 'unknown',
    });
    const short = await run([
      'gateway',
      'device',
      'add',
      '--id',
      'lc-cli-0002',
      '--password',
      'short',
      '--data-dir',
      dataDir,
    ]);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 8 characters/);
    expect((await run(['gateway', 'device', 'remove', '--id', 'lc-cli-0001', '--data-dir', dataDir])).code).toBe(0);
    expect((await run(['gateway', 'device', 'remove', '--id', 'lc-cli-0001', '--data-dir', dataDir])).stderr).toMatch(
      /no device lc-cli-0001/,
    );

    const csv = join(dataDir, 'archive.csv');
    writeFileSync(csv, 'plate,class,owner_name,village\n鲁PAB123,tricycle,张三,李庄\n鲁PI0000,tricycle,李四,王屯\n');
    const dry = await run(['gateway', 'archive', 'import', csv, '--commit', '--data-dir', dataDir]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/line 3: plate "鲁PI0000" is not a valid GA 36 plate/);
    expect(dry.stdout).toMatch(/2 rows, 1 valid; nothing imported/);
    writeFileSync(csv, 'plate,class,owner_name,village\n鲁PAB123,tricycle,张三,李庄\n');
    expect((await run(['gateway', 'archive', 'import', csv, '--commit', '--data-dir', dataDir])).stdout).toMatch(
      /imported: 1 added/,
    );

    const gw = spawn(
      process.execPath,
      [BIN, '--log-level', 'warn', 'gateway', '--mqtt-port', '0', '--http-port', '0', '--data-dir', dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(gw);
    const line = await new Promise<string>((resolve) => gw.stdout!.on('data', (d: Buffer) => resolve(d.toString())));
    expect(line).toMatch(/^gateway: MQTT on port \d+, HTTP API on port \d+/);
  });

  it('every command has --help', { timeout: 60_000 }, async () => {
    const cmds = [
      [],
      ['hw'],
      ['hw', 'list'],
      ['hw', 'test'],
      ['sim'],
      ['sim', 'hw'],
      ['sim', 'county'],
      ['bench'],
      ['bench', 'hw'],
      ['bench', 'edge'],
      ['bench', 'gateway'],
      ['edge'],
      ['gateway'],
      ['gateway', 'device', 'add'],
      ['gateway', 'user', 'add'],
      ['gateway', 'token', 'add'],
      ['gateway', 'archive', 'import'],
      ['sim', 'story'],
      ['demo'],
    ];
    // Each run starts Node and tsx (about a second): a few at a time.
    for (let i = 0; i < cmds.length; i += 4) {
      const batch = cmds.slice(i, i + 4);
      const results = await Promise.all(batch.map((cmd) => run([...cmd, '--help'])));
      results.forEach((r, j) => {
        expect(r.code, batch[j].join(' ')).toBe(0);
        expect(r.stdout).toMatch(/Usage: roadwarden/);
      });
    }
  });

  it('`hw list` runs without udev', async () => {
    const r = await run(['hw', 'list', '--json']);
    expect(r.code).toBe(0);
    for (const l of r.stdout.trim().split('\n').filter(Boolean)) expect(JSON.parse(l)).toHaveProperty('path');
  });
});
