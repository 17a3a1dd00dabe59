import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createIdGenerator, topics } from '../../protocols/index.ts';
import { freePorts } from '../testing/free-ports.ts';
import { until } from '../testing/until.ts';
import { addDevices, gatewayArgs, spawnGateway } from '../testing/gateway-process.ts';
import { openGatewayFile } from '../testing/gateway-files.ts';

const run = promisify(execFile);
const newId = createIdGenerator();
const SECRET = 'restart-test-hmac-secret';

const startGateway = async (args: string[]): Promise<ChildProcess> => (await spawnGateway(args)).proc;

describe('a gateway killed mid-dispatch resumes, and no receiver gets a response twice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-gwkill-'));
  const procs: ChildProcess[] = [];
  let receiver: Server | undefined;
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the case, re-sends the pending notifications after restart, same idempotency keys', async () => {
    // Reserve ports: the receiver's (down at first), MQTT and HTTP.
    const ports = await freePorts(3);
    const [hookPort, mqttPort, httpPort] = ports;
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      `responses:
  channels:
    village: { type: webhook, url: "http://127.0.0.1:${hookPort}/v", secret: ${SECRET}, attempts: 20, timeoutMs: 2000 }
    police: { type: webhook, url: "http://127.0.0.1:${hookPort}/p", secret: ${SECRET}, attempts: 20, timeoutMs: 2000 }
  plans:
    - kinds: [tricycle_passengers]
      onsite: {}
      village: { channel: village, ackDeadlineS: 3600 }
      police: { channel: police, ackDeadlineS: 3600 }
`,
    );
    const data = join(dir, 'data');
    const common = gatewayArgs(config, mqttPort!, httpPort!, data);
    await addDevices(data, [{ id: 'lc-k-0001', password: 'box-k-secret' }]);
    const first = await startGateway(common);
    procs.push(first);

    // An alarm comes in while the village app and police dispatch are unreachable.
    const ev = {
      v: 1,
      id: newId(),
      deviceId: 'lc-k-0001',
      ts: new Date().toISOString(),
      kind: 'tricycle_passengers',
      severity: 'alarm',
      source: 'vision',
    };
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(mqttPort),
      '-V',
      'mqttv311',
      '-i',
      'lc-k-0001',
      '-u',
      'lc-k-0001',
      '-P',
      'box-k-secret',
      '-q',
      '1',
      '-t',
      topics.event('lc-k-0001', 'tricycle_passengers'),
      '-m',
      JSON.stringify(ev),
    ]);
    const db = openGatewayFile(data, 'gateway.db');
    const q = <T>(sql: string) => db.prepare(sql).all() as T[];
    await until(() => q<{ n: number }>('SELECT count(*) AS n FROM cases')[0].n === 1, 10_000, 'case opened');
    await new Promise((r) => setTimeout(r, 800)); // mid-dispatch: retrying against a dead receiver
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(
      q<{ kind: string; state: string }>('SELECT kind, state FROM responses ORDER BY kind').map(
        (r) => `${r.kind}:${r.state}`,
      ),
    ).toEqual(['onsite:done', 'police:pending', 'village:pending']);

    // The receivers come up; the gateway restarts and resumes.
    const got: string[] = [];
    receiver = createServer(async (req, res) => {
      for await (const _ of req);
      got.push(String(req.headers['idempotency-key']));
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => receiver!.listen(hookPort, '127.0.0.1', r));
    const second = await startGateway(common);
    procs.push(second);
    await until(
      () => q<{ n: number }>("SELECT count(*) AS n FROM responses WHERE state = 'sent'")[0].n === 2,
      15_000,
      'both notifications sent',
    );
    await new Promise((r) => setTimeout(r, 300));
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    db.close();
    // At least once, with one key per response: a retry after a slow answer repeats the key, so
    // the receiver can drop it; a new key would be a second dispatch.
    const keys = [...new Set(got)];
    expect(keys.map((k) => k.split(':')[1]).sort()).toEqual(['police', 'village']);
  });
});
