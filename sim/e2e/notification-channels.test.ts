import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, SYSTEM } from '../../gateway/index.ts';
import { createIdGenerator, topics, type EventMessage } from '../../protocols/index.ts';
import { httpReceiver, type HttpReceiver } from '../testing/http-receiver.ts';
import { until } from '../testing/until.ts';

const run = promisify(execFile);
const newId = createIdGenerator();
const DEVICE = 'lc-channels-01';

/**
 * The village cadre is texted through an SMS gateway (a local HTTP server here); the police duty
 * squad's notice goes out on the county MQTT bus, read by mosquitto_sub logged in as a police
 * operator. Both receivers are chosen by the directory: the owner's village (from the archive)
 * and the box's township.
 */
describe('SMS and county MQTT channels, routed by the directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-channels-'));
  let gw: Gateway;
  let sms: HttpReceiver;

  beforeAll(async () => {
    sms = await httpReceiver({ path: '/sms/send' });
    gw = new Gateway({
      dataDir: dir,
      mqttPort: 0,
      httpPort: 0,
      config: {
        responses: {
          channels: {
            sms: { type: 'sms', url: sms.url, token: 'sms-token-123', sign: '路卫' },
            'county-bus': { type: 'mqtt' },
          },
          directory: {
            village: [{ township: '梁水镇', village: '王庄', name: '王庄 grid worker', phone: '+8613800000002' }],
            police: [{ area: '梁水镇', name: '梁水派出所 duty squad' }],
          },
          plans: [
            {
              kinds: ['tricycle_passengers'],
              onsite: {},
              village: { channel: 'sms', ackDeadlineS: 1800 },
              police: { channel: 'county-bus', ackDeadlineS: 300 },
            },
          ],
        },
      },
    });
    await gw.start();
    await gw.services.access.credentials.addDevice(DEVICE, 'box-pass-1');
    await gw.services.access.credentials.addOperator('county-screen', 'screen-pass-1', 'police');
    await gw.services.devices.registry.upsert({
      id: DEVICE,
      township: '梁水镇',
      village: '李庄',
      crossing: '李庄路口',
    });
    await gw.services.archive.archive.importCsv(
      'plate,class,owner_name,township,village\n鲁PAB123,tricycle,张三,梁水镇,王庄\n',
      true,
    );
  });

  afterAll(async () => {
    await gw?.stop();
    await sms?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("texts the owner's village cadre and puts the police notice on the county bus", async () => {
    const port = String(gw.mqttPort!);
    const sub = spawn('mosquitto_sub', [
      '-p',
      port,
      '-V',
      'mqttv311',
      '-i',
      'county-screen',
      '-u',
      'county-screen',
      '-P',
      'screen-pass-1',
      '-q',
      '1',
      '-t',
      'rw-county/v1/#',
      '-v',
      '-C',
      '1',
      '-W',
      '20',
    ]);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 500)); // let mosquitto_sub subscribe

    const ev: EventMessage = {
      v: 1,
      id: newId(),
      deviceId: DEVICE,
      ts: new Date().toISOString(),
      kind: 'tricycle_passengers',
      severity: 'alarm',
      source: 'vision',
      data: { riders: 3, plate: '鲁PAB123' },
    };
    await run('mosquitto_pub', [
      '-p',
      port,
      '-V',
      'mqttv311',
      '-i',
      DEVICE,
      '-u',
      DEVICE,
      '-P',
      'box-pass-1',
      '-q',
      '1',
      '-t',
      topics.event(DEVICE, ev.kind),
      '-m',
      JSON.stringify(ev),
    ]);

    await until(() => sms.got.length === 1 && out.includes('\n'), 10_000, 'an SMS and a bus notice');
    expect(sms.got[0].body).toMatchObject({
      to: '+8613800000002',
      text: expect.stringMatching(/^【路卫】三轮车违法载人：梁水镇李庄李庄路口 鲁PAB123 /),
    });
    const [topic, json] = [out.slice(0, out.indexOf(' ')), out.slice(out.indexOf(' ') + 1)];
    expect(topic).toBe('rw-county/v1/county-bus/police');
    expect(JSON.parse(json)).toMatchObject({
      kind: 'police',
      deviceId: DEVICE,
      recipient: { name: '梁水派出所 duty squad', routedBy: 'duty squad for 梁水镇' },
      place: { township: '梁水镇' },
    });
    const caseId = (await gw.services.responses.cases.list(SYSTEM, { limit: 1 }))[0].id;
    const states = async () =>
      (await gw.services.responses.cases.responses(caseId)).map((r) => `${r.kind}:${r.state}`).join(' ');
    // The receivers may hear before the gateway has recorded its answer.
    await until(
      async () => (await states()) === 'onsite:done village:sent police:sent',
      5000,
      'all three responses recorded',
    );
    expect((await gw.services.responses.cases.responses(caseId))[1].note).toBe('sms to 王庄 grid worker (1 attempt)');
  });

  it('refuses the county bus to a device account', async () => {
    const r = await run('mosquitto_sub', [
      '-p',
      String(gw.mqttPort!),
      '-V',
      'mqttv311',
      '-i',
      DEVICE,
      '-u',
      DEVICE,
      '-P',
      'box-pass-1',
      '-t',
      'rw-county/v1/#',
      '-C',
      '1',
      '-W',
      '2',
    ]).catch((e: { stdout: string; stderr: string; code: number }) => e);
    // aedes answers a refused subscription with SUBACK 0x80; mosquitto_sub reports it and gives up.
    expect(`${r.stdout}${r.stderr}`).toMatch(/denied|refused|failure/i);
  });
});
