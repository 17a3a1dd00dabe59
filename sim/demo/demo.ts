import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EdgeAgent } from '../../edge/index.ts';
import { SYSTEM, type Gateway, type ResponseRow } from '../../gateway/index.ts';
import sharp from 'sharp';
import { County, EXAMPLE_MAP } from '../testing/county.ts';
import { haveCjkFont, renderPlate, sceneWithPlate } from '../vision/synthetic-plate.ts';
import { until } from '../testing/until.ts';
import { DemoReceiver } from './receivers.ts';

export interface DemoOptions {
  once?: boolean;
  mqttPort?: number;
  httpPort?: number;
  logger?: Logger;
  say?: (line: string) => void;
}

export interface DemoSummary {
  alarm_id: string;
  case: 'closed' | 'open';
  case_id: string;
  responses: Record<string, string>;
  ms: number;
}

export interface RunningDemo {
  summary: DemoSummary;
  gateway: Gateway;
  adminToken: string;
  /** The dashboard log-in (an operator account made for this run). */
  dashboard: { user: string; password: string };
  stop(): Promise<void>;
}

const BOXES = [
  { id: 'lc-demo-0001', place: '东昌府区梁水镇 李庄路口', lat: 36.4562, lon: 115.9854 },
  { id: 'lc-demo-0002', place: '东昌府区梁水镇 王屯村口', lat: 36.4611, lon: 115.9921 },
  { id: 'lc-demo-0003', place: '茌平区杜郎口镇 孙庄路口', lat: 36.5803, lon: 116.2551 },
];

/** A port that is free now, preferring `wanted` (0 = any). */
async function freePort(wanted: number): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<number | undefined>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(p, '127.0.0.1', () => {
        const got = (s.address() as { port: number }).port;
        s.close(() => resolve(got));
      });
    });
  return (wanted ? await tryPort(wanted) : undefined) ?? (await tryPort(0))!;
}

/**
 * The main job: a county gateway on embedded defaults, three simulated roadside boxes, and local
 * stand-ins for the village app and the police dispatch. A tricycle carrying passengers is seen;
 * the box warns on the spot; the gateway runs 一报警三响应 until the case closes.
 */
/**
 * The capture behind the demo's alarm: a synthetic road scene with the plate on a tricycle-sized
 * box and the riders marked, sent through the box's outbox like a camera capture. Without a CJK
 * font the plate cannot be drawn, and the alarm goes without a photo.
 */
async function demoEvidence(agent: EdgeAgent, plate: string): Promise<string | undefined> {
  if (!haveCjkFont()) return undefined;
  const frame = await sceneWithPlate(await renderPlate({ text: plate }), { x: 560, y: 430, plateWidth: 160 });
  const crop = await sharp(frame).extract({ left: 560, top: 430, width: 160, height: 50 }).jpeg().toBuffer();
  return agent.reportEvidence({
    images: [
      { role: 'frame', jpeg: frame, width: 1280, height: 720 },
      { role: 'plate', jpeg: crop, width: 160, height: 50, box: [560, 430, 160, 50] },
    ],
    recognitions: [
      { what: 'vehicle', label: 'tricycle', score: 0.88, box: [440, 260, 400, 240] },
      { what: 'person', label: 'rider', score: 0.81, box: [470, 150, 90, 180] },
      { what: 'person', label: 'rider', score: 0.77, box: [600, 160, 90, 170] },
      { what: 'person', label: 'rider', score: 0.74, box: [720, 150, 90, 180] },
      { what: 'plate', label: 'blue', score: 0.93, box: [560, 430, 160, 50], value: plate },
    ],
  });
}

export async function runDemo(o: DemoOptions = {}): Promise<RunningDemo> {
  const say = o.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const started = performance.now();
  // A fresh data dir each time: the demo's story starts from an empty county.
  const dir = mkdtempSync(join(tmpdir(), 'rw-demo-'));
  const secret = randomBytes(24).toString('base64url');
  const tokens: Record<string, string> = {};
  let api = '';
  const village = new DemoReceiver({
    name: 'village app',
    secret,
    api: () => api,
    token: () => tokens.village,
    outcome: '溯源劝诫：网格员已上门，车主签了不再载人的承诺书',
    say,
  });
  const police = new DemoReceiver({
    name: 'police dispatch',
    secret,
    api: () => api,
    token: () => tokens.police,
    outcome: '值班民警已拦停三轮车，乘客已下车',
    say,
  });
  await village.start();
  await police.start();

  const mqttPort = await freePort(o.once ? 0 : (o.mqttPort ?? 1884));
  const httpPort = await freePort(o.once ? 0 : (o.httpPort ?? 8080));
  const county = await County.start({
    dataDir: dir,
    mqttPort,
    httpPort,
    logger: o.logger,
    boxes: BOXES.map((b) => {
      const [township, crossing] = b.place.split(' ');
      const donor = { name: '聊城市慈善总会', thanks: '一灯一带，平安回家' };
      return { id: b.id, name: b.place, township, crossing, lat: b.lat, lon: b.lon, donor };
    }),
    gatewayConfig: {
      map: { geojson: EXAMPLE_MAP },
      responses: {
        channels: {
          village: { type: 'webhook', url: village.url, secret },
          police: { type: 'webhook', url: police.url, secret },
        },
        plans: [
          {
            kinds: ['tricycle_passengers', 'minivan_overload'],
            onsite: { light: { mode: 'flash', periodMs: 300, durationS: 60 }, voice: { clip: 2, times: 2 } },
            village: { channel: 'village', ackDeadlineS: 3600 },
            police: { channel: 'police', ackDeadlineS: 300 },
          },
        ],
      },
    },
  });
  const { gateway } = county;
  tokens.village = await gateway.services.access.tokens.issue('grid-worker-wang', 'village');
  tokens.police = await gateway.services.access.tokens.issue('duty-squad-3', 'police');
  const adminToken = await gateway.services.access.tokens.issue('demo-admin', 'admin');
  // A person's log-in for the dashboard; the password is new at every start and printed once.
  const dashboardPassword = randomBytes(9).toString('base64url');
  await gateway.services.access.credentials.addOperator('demo-admin', dashboardPassword, 'admin');
  await gateway.services.archive.archive.importCsv(
    'plate,class,owner_name,township,village\n鲁PA3N82,tricycle,赵某,梁水镇,王屯村\n',
    true,
  );
  api = `http://127.0.0.1:${gateway.httpPort}/api/v1`;
  say(
    `roadwarden demo — county gateway: MQTT on ${gateway.mqttPort!}, HTTP API on ${gateway.httpPort}; data in ${dir}`,
  );

  say(`three roadside boxes online: ${BOXES.map((b) => b.id).join(', ')}`);

  const box = BOXES[1];
  const { agent } = county.box(1);
  say(`\n① ${box.place} (${box.id}): the camera sees a tricycle carrying 3 passengers (三轮车违法载人).`);
  const t0 = performance.now();
  // The plate reader saw the last 2 as a Z, and was unsure of it: the archive's 鲁PA3N82 is a
  // lead on the case, for the cadre to check; the case is not routed to that owner.
  const evidenceId = await demoEvidence(agent, '鲁PA3N82');
  const fired = await agent.reportRecognition({
    kind: 'tricycle_passengers',
    evidenceId,
    data: {
      vehicle: 'tricycle',
      riders: 3,
      plate: '鲁PA3N8Z',
      plateScore: 0.93,
      plateConfidence: 0.41,
      plateUncertain: '6',
      plateColour: 'blue',
    },
  });
  say(
    `   The box warns at once, no network needed: ${fired[0]?.localActions.join(', ')} (${(performance.now() - t0).toFixed(1)} ms).`,
  );

  const labels: Record<string, string> = { onsite: '现场 on-site', village: '村居 village', police: '警务 police' };
  gateway.services.responses.engine!.on('change', (r: ResponseRow) =>
    say(
      `   ${labels[r.kind].padEnd(13)} → ${r.state}${r.actor && r.actor !== 'gateway' ? ` by ${r.actor}` : ''}${r.note ? ` — ${r.note}` : ''}`,
    ),
  );
  const firstCase = async () => (await gateway.services.responses.cases.list(SYSTEM, { limit: 1 }))[0];
  await until(async () => (await firstCase()) !== undefined, 10_000, 'the case to open');
  const c = await firstCase();
  say(`② The gateway opened case ${c.id} and started the three responses (一报警三响应):`);
  await until(
    async () => (await gateway.services.responses.cases.getCase(c.id))?.closedAt !== null,
    20_000,
    'the case to close',
  ).catch(() => undefined);
  const closed = (await gateway.services.responses.cases.getCase(c.id))!;
  const responses = Object.fromEntries(
    (await gateway.services.responses.cases.responses(c.id)).map((r) => [r.kind, r.state]),
  );
  if (closed.closedAt) say(`③ Case closed at ${closed.closedAt} by ${closed.closedBy}: all three responses done.`);
  else say(`③ The case did not close: ${JSON.stringify(responses)}`);

  const summary: DemoSummary = {
    alarm_id: c.eventId,
    case: closed.closedAt ? 'closed' : 'open',
    case_id: c.id,
    responses,
    ms: Math.round(performance.now() - started),
  };
  const stop = async () => {
    await county.stop();
    await village.stop();
    await police.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { summary, gateway, adminToken, dashboard: { user: 'demo-admin', password: dashboardPassword }, stop };
}
