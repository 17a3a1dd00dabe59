// What `roadwarden commission` does, loaded only when it runs (its options are declared in cli.ts).
import { createPublicKey, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  gpsFixFromPort,
  listSerialPorts,
  parseCameraSpec,
  parseGpsSpec,
  parseLightSpec,
  parseSensorSpec,
  parseSpeakerSpec,
  probeSerialPorts,
  type ProbeFinding,
} from '../../hardware/index.ts';
import { signRegistration, type Donor } from '../../protocols/index.ts';
import { parseEdgeConfig } from '../config/load-config.ts';
import {
  describeFinding,
  edgeConfigFor,
  edgeYaml,
  envFile,
  newDevicePassword,
  PASSWORD_ENV,
  STORAGE_KEY_ENV,
  placeName,
  registerOnline,
  registrationFor,
  type CommissionInput,
  type Position,
} from './commission.ts';

export interface CommissionOpts {
  id?: string;
  name?: string;
  road?: string;
  crossing?: string;
  township?: string;
  village?: string;
  lat?: string;
  lon?: string;
  gps?: string;
  gpsTimeout: string;
  probe?: boolean;
  probePorts?: string;
  probeTimeout?: string;
  /** `--no-vision`: a camera for evidence only. */
  vision?: boolean;
  light?: string;
  speaker?: string;
  sensor?: string;
  camera?: string;
  donor?: string;
  donorAnonymous?: boolean;
  donorAmount?: string;
  donorDate?: string;
  donorThanks?: string;
  gateway: string;
  api?: string;
  token?: string;
  technician?: string;
  offline?: boolean;
  replace?: boolean;
  out: string;
  dataDir?: string;
  otaKey?: string;
  interactive?: boolean;
  json?: boolean;
}

const say = (quiet: boolean, s: string) => {
  if (!quiet) process.stdout.write(`${s}\n`);
};

/** Answers typed (or piped) on stdin, one line per question; lines that come early wait their turn. */
type Prompter = { next(): Promise<IteratorResult<string>>; close(): void };

function prompter(): Prompter {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  return { next: () => lines.next(), close: () => rl.close() };
}

/** Asks only for what the flags did not give, when someone is there to answer. */
async function ask(rl: Prompter | undefined, question: string, have: string | undefined): Promise<string | undefined> {
  if (have !== undefined || !rl) return have;
  process.stdout.write(`${question}: `);
  const a = await rl.next();
  if (a.done) throw new Error(`no answer for "${question}" (input ended)`);
  if (!process.stdin.isTTY) process.stdout.write(`${a.value}\n`);
  return a.value.trim() || undefined;
}

async function position(o: CommissionOpts, rl: Prompter | undefined, quiet: boolean): Promise<Position | undefined> {
  if (o.lat !== undefined || o.lon !== undefined) {
    const lat = Number(o.lat);
    const lon = Number(o.lon);
    if (!(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180))
      throw new Error(
        `--lat ${o.lat} --lon ${o.lon}: give both, in degrees (WGS-84), e.g. --lat 36.4562 --lon 115.9854`,
      );
    return { lat, lon, source: 'typed' };
  }
  if (!o.gps && rl) {
    const typed = await ask(rl, 'Position "lat,lon" (blank = none, or use --gps)', undefined);
    if (typed) return position({ ...o, lat: typed.split(',')[0], lon: typed.split(',')[1] }, undefined, quiet);
  }
  if (!o.gps) return undefined;
  const spec = parseGpsSpec(o.gps);
  say(quiet, `GPS      reading ${spec.port} (up to ${o.gpsTimeout} s)…`);
  let last = -1;
  const fix = await gpsFixFromPort(spec.port, spec.baudRate ?? 9600, {
    timeoutMs: Number(o.gpsTimeout) * 1000,
    onProgress: (g) => {
      if (g.sats !== last && g.quality === 0) say(quiet, `GPS      ${g.sats} satellites, no fix yet…`);
      last = g.sats;
    },
  });
  return { lat: fix.lat, lon: fix.lon, source: 'gps', sats: fix.sats, hdop: fix.hdop };
}

async function probe(o: CommissionOpts, quiet: boolean): Promise<ProbeFinding[]> {
  const ports = o.probePorts ? o.probePorts.split(',').filter(Boolean) : (await listSerialPorts()).map((p) => p.path);
  const taken = new Set(
    [o.light, o.speaker, o.sensor, o.gps].filter(Boolean).map((s) => s!.replace(/^[a-z]+:/, '').split('?')[0]),
  );
  const free = ports.filter((p) => !taken.has(p));
  say(
    quiet,
    `probe    ${free.length ? free.join(', ') : 'no serial ports to probe'} (common bauds, Modbus slave ids 1–16)…`,
  );
  let shown = '';
  const timeoutMs = Number(o.probeTimeout ?? 150);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 10 || timeoutMs > 10_000)
    throw new Error(`--probe-timeout ${o.probeTimeout}: write milliseconds, 10–10000`);
  const found = await probeSerialPorts(free, {
    timeoutMs,
    onAttempt: (a) => {
      const k = `${a.port}@${a.baudRate}`;
      if (k !== shown && !quiet && process.stdout.isTTY)
        process.stdout.write(`\r\x1b[K         trying ${a.port} at ${a.baudRate} baud`);
      shown = k;
    },
  });
  if (!quiet && process.stdout.isTTY) process.stdout.write('\r\x1b[K');
  for (const f of found) say(quiet, `found    ${f.port}: ${describeFinding(f)}`);
  return found;
}

/** The update key's path as the box will read it, once it is known to be an Ed25519 public key. */
function otaKeyFile(path: string): string {
  let type: string | undefined;
  try {
    const pem = readFileSync(path, 'utf8');
    // Node derives a public key from a private one: the private key must never reach a box.
    if (!pem.includes('-----BEGIN PUBLIC KEY-----'))
      throw new Error('not a public key (the box needs ota-update.pub, never the private ota-update.key)');
    type = createPublicKey(pem).asymmetricKeyType;
  } catch (e) {
    throw new Error(`--ota-key ${path}: ${(e as Error).message}`);
  }
  if (type !== 'ed25519')
    throw new Error(`--ota-key ${path}: not an Ed25519 public key (roadwarden gateway ota keygen makes one)`);
  return resolve(path);
}

function donor(o: CommissionOpts): Donor | undefined {
  if (!o.donor && !o.donorAnonymous) return undefined;
  const amount = o.donorAmount === undefined ? undefined : Number(o.donorAmount);
  if (amount !== undefined && !(amount >= 0)) throw new Error(`--donor-amount ${o.donorAmount} is not an amount`);
  if (o.donorDate && !/^\d{4}-\d{2}-\d{2}$/.test(o.donorDate))
    throw new Error(`--donor-date ${o.donorDate}: write YYYY-MM-DD`);
  return { name: o.donor, anonymous: o.donorAnonymous || undefined, amount, date: o.donorDate, thanks: o.donorThanks };
}

/** Hardware the probe did not find and no flag named: asked for, one piece at a time. */
const HARDWARE_QUESTIONS = [
  ['light', 'Light controller, e.g. modbus:/dev/ttyUSB0?unit=1&channels=4 (blank = none)'],
  ['speaker', 'Speaker (MP3 module), e.g. mp3:/dev/ttyUSB1 (blank = none)'],
  ['sensor', 'Approach sensor, e.g. firmata:/dev/ttyACM0?pin=2 (blank = none)'],
  ['camera', 'Camera, e.g. http://user:pass@192.168.1.64/snapshot.jpg (blank = none)'],
] as const;

export async function commission(o: CommissionOpts): Promise<void> {
  const quiet = o.json === true;
  const interactive = o.interactive ?? (process.stdin.isTTY === true && !quiet);
  const rl = interactive ? prompter() : undefined;
  const at = new Date();
  const token = o.token ?? process.env.RW_TOKEN;
  const willSign = o.offline || !o.api;
  let input: CommissionInput;
  let found: ProbeFinding[] = [];
  const specs: Partial<Record<(typeof HARDWARE_QUESTIONS)[number][0], string>> = {};
  try {
    // What registering will need is checked first: nobody should answer every question, then fail.
    if (!token)
      throw new Error(
        'commissioning needs your API token: --token or RW_TOKEN (roadwarden gateway token add --role technician)',
      );
    const technician = willSign
      ? await ask(rl, "Your token's name (signs the registration file)", o.technician)
      : o.technician;
    if (willSign && !technician)
      throw new Error(
        `${o.offline ? 'offline (--offline)' : 'no --api given'}: the registration file is signed with your token; give --technician (the token's name)`,
      );
    const id = await ask(rl, 'Device id (e.g. lc-liangshui-0007)', o.id);
    if (!id) throw new Error('a device id is needed: --id lc-liangshui-0007');
    const township = await ask(rl, 'Township (乡镇)', o.township);
    const village = await ask(rl, 'Village (村)', o.village);
    const crossing = await ask(rl, 'Crossing or village entrance', o.crossing);
    const road = await ask(rl, 'Road file (一路一档)', o.road);
    const pos = await position(o, rl, quiet);
    const donorName = await ask(
      rl,
      'Donor of the light (blank = none)',
      o.donor ?? (o.donorAnonymous ? '' : undefined),
    );
    input = {
      id,
      name: o.name,
      township,
      village,
      crossing,
      road,
      position: pos,
      gatewayUrl: o.gateway,
      apiUrl: o.api,
      technician,
      dataDir: o.dataDir,
      otaKey: o.otaKey ? otaKeyFile(o.otaKey) : undefined,
      donor: donor({ ...o, donor: donorName || undefined }),
    };
    found = o.probe ? await probe(o, quiet) : [];
    const pick = (d: ProbeFinding['device']) => found.find((f) => f.device === d)?.spec;
    const given = {
      light: o.light ?? pick('modbus-light'),
      speaker: o.speaker ?? pick('mp3'),
      sensor: o.sensor,
      camera: o.camera,
    };
    for (const [what, question] of HARDWARE_QUESTIONS)
      specs[what] = await ask(rl, question, given[what] ?? (rl ? undefined : ''));
  } finally {
    rl?.close();
  }
  if (!specs.light && !specs.speaker)
    throw new Error(
      'this box has no light and no speaker, so it cannot warn anyone: give --light or --speaker, or --probe to find them',
    );
  if (specs.light) input.light = parseLightSpec(specs.light);
  if (specs.speaker) input.speaker = parseSpeakerSpec(specs.speaker);
  if (specs.sensor) input.sensor = parseSensorSpec(specs.sensor);
  if (specs.camera) {
    input.camera = parseCameraSpec(specs.camera);
    input.vision = o.vision !== false;
  }
  const lightSpec = specs.light;
  const speakerSpec = specs.speaker;

  const password = newDevicePassword();
  const storageKey = randomBytes(32).toString('base64');
  const config = edgeConfigFor(input);
  const yamlText = edgeYaml(config, input, at);
  // What we write must load: check it exactly as the box will read it.
  parseEdgeConfig(yamlText, o.out, {
    ...process.env,
    [PASSWORD_ENV]: password,
    [STORAGE_KEY_ENV]: storageKey,
    RW_CAMERA_PASSWORD: 'x',
  });
  const reg = await registrationFor(input, password, at);

  let registered: string;
  let regFile: string | undefined;
  const writeSigned = (why: string) => {
    if (!input.technician)
      throw new Error(
        `${why}; to register later, give --technician (your token's name) so the registration file can be signed`,
      );
    regFile = join(dirname(o.out), `${input.id}.registration.json`);
    writeFileSync(regFile, `${JSON.stringify(signRegistration(reg, input.technician, token), null, 2)}\n`);
    registered = `not yet: ${why}. Upload ${regFile} later: roadwarden commission upload ${regFile} --api URL`;
  };
  if (o.offline || !o.api) writeSigned(o.offline ? 'offline (--offline)' : 'no --api given');
  else {
    const r = await registerOnline(o.api, token, reg, o.replace === true);
    if (r.registered)
      registered = `registered at ${o.api}${r.replaced ? ' (replaced the old box)' : ''}; the device credential works now`;
    else if (r.unreachable) writeSigned(r.message);
    else throw new Error(r.message);
  }

  const envPath = join(dirname(o.out), `${basename(o.out).replace(/\.ya?ml$/, '')}.env`);
  writeFileSync(o.out, yamlText);
  writeFileSync(envPath, envFile(password, storageKey, input), { mode: 0o600 });
  chmodSync(envPath, 0o600);

  const summary = {
    id: input.id,
    place: placeName(input) ?? null,
    position: input.position ?? null,
    light: lightSpec ?? null,
    speaker: speakerSpec ?? null,
    sensor: specs.sensor ?? null,
    camera: input.camera ? (input.camera.type === 'dir' ? `dir:${input.camera.dir}` : input.camera.url) : null,
    probed: found,
    donor: input.donor ?? null,
    registered: registered!.startsWith('registered'),
    registrationFile: regFile ?? null,
    config: o.out,
    envFile: envPath,
  };
  if (quiet) return void process.stdout.write(`${JSON.stringify(summary)}\n`);
  const p = input.position;
  say(false, `\ncommissioned ${input.id}${summary.place ? ` — ${summary.place}` : ''}`);
  say(
    false,
    `  position  ${p ? `${p.lat.toFixed(6)}, ${p.lon.toFixed(6)} (${p.source === 'gps' ? `GPS, ${p.sats} satellites, HDOP ${p.hdop ?? '?'}` : 'typed'})` : 'none (add it later with --lat/--lon)'}`,
  );
  for (const [k, v] of [
    ['light', lightSpec],
    ['speaker', speakerSpec],
    ['sensor', specs.sensor],
    ['camera', summary.camera],
  ] as const)
    say(false, `  ${k.padEnd(9)} ${v ?? 'none'}`);
  if (input.donor)
    say(
      false,
      `  donor     ${input.donor.anonymous ? '匿名 anonymous' : input.donor.name}${input.donor.date ? `, ${input.donor.date}` : ''}${input.donor.thanks ? ` — ${input.donor.thanks}` : ''}`,
    );
  say(false, `  gateway   ${registered!}`);
  say(false, `  wrote     ${o.out}, ${envPath} (the device password; mode 600, keep it private)`);
  say(false, `\nnext: roadwarden selftest --config ${o.out} --env-file ${envPath}`);
}
