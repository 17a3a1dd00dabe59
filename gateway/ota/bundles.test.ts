import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdGenerator, generateUpdateKeys, signManifest, topics } from '../../protocols/index.ts';
import { runCli } from '../../sim/testing/run-cli.ts';
import { until } from '../../sim/testing/until.ts';
import { Gateway } from '../main.ts';
import { type BundleError, publishBundle } from './bundle-publisher.ts';

const newId = createIdGenerator();

describe('published bundles: only what the county signed, served by hash and nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-ota-bundles-'));
  const keys = generateUpdateKeys();
  const file = join(dir, 'roadwarden-edge-1.2.3.tar.gz');
  const bytes = Buffer.from('not really a tarball, but bytes are bytes');
  const manifest = {
    kind: 'agent' as const,
    name: 'roadwarden-edge-1.2.3',
    version: '1.2.3',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
  };
  let gw: Gateway;
  let base: string;
  const publish = (signature: unknown, key: string | null = keys.publicKeyPem) => {
    const sig = join(dir, `sig-${newId()}.json`);
    writeFileSync(sig, typeof signature === 'string' ? signature : JSON.stringify(signature));
    const o = { dataDir: dir, store: gw.services.ota.store, publicKeyPem: key ?? undefined, by: 't', now: new Date() };
    return publishBundle(file, sig, o);
  };

  beforeAll(async () => {
    writeFileSync(file, bytes);
    writeFileSync(join(dir, 'ota.pub'), keys.publicKeyPem);
    gw = new Gateway({
      dataDir: join(dir, 'data'),
      mqttPort: 0,
      httpPort: 0,
      config: { ota: { publicKey: join(dir, 'ota.pub') } },
    });
    await gw.start();
    base = `http://127.0.0.1:${gw.httpPort}`;
  });
  afterAll(async () => {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bundle signed with another key, one not the signed file, a malformed signature, and no key set', async () => {
    const other = generateUpdateKeys().privateKeyPem;
    const codes = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as BundleError).code;
    expect(await codes(publish(signManifest(manifest, other)))).toBe('bad_signature');
    expect(await codes(publish(signManifest({ ...manifest, size: bytes.length + 1 }, keys.privateKeyPem)))).toBe(
      'not_the_signed_file',
    );
    expect(await codes(publish('{"manifest": {"kind": "agent"}}'))).toBe('bad_signature');
    expect(await codes(publish('not json'))).toBe('unreadable');
    expect(await codes(publish(signManifest(manifest, keys.privateKeyPem), null))).toBe('no_key');
    expect(await gw.services.ota.store.bundles()).toEqual([]);
  });

  it('publishes once, serves the bytes by their hash to anyone, and no other file of the data dir', async () => {
    const dataDir = gw.dataDir;
    const first = await publishBundle(file, join(dir, 'good.sig.json'), {
      dataDir,
      store: gw.services.ota.store,
      publicKeyPem: keys.publicKeyPem,
      by: 't',
      now: new Date(),
    }).catch(() => undefined);
    expect(first).toBeUndefined(); // no such signature file yet
    writeFileSync(join(dir, 'good.sig.json'), JSON.stringify(signManifest(manifest, keys.privateKeyPem)));
    const o = { dataDir, store: gw.services.ota.store, publicKeyPem: keys.publicKeyPem, by: 't', now: new Date() };
    expect((await publishBundle(file, join(dir, 'good.sig.json'), o)).outcome).toBe('published');
    expect((await publishBundle(file, join(dir, 'good.sig.json'), o)).outcome).toBe('known');
    const got = await fetch(`${base}/ota/bundles/${manifest.sha256}.tar.gz`);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    const db = readFileSync(join(dataDir, 'gateway.db')).subarray(0, 16);
    for (const path of [
      '/ota/bundles/..%2Fgateway.db',
      '/ota/bundles/%2e%2e%2f%2e%2e%2fgateway.db',
      `/ota/bundles/${manifest.sha256}.tar.gz%2F..%2F..%2Fgateway.db`,
      `/ota/bundles/${manifest.sha256.toUpperCase()}.tar.gz`,
      `/ota/bundles/${'0'.repeat(64)}.tar.gz`,
      '/ota/bundles/',
    ]) {
      const r = await fetch(`${base}${path}`);
      const body = Buffer.from(await r.arrayBuffer());
      expect([400, 404], path).toContain(r.status);
      expect(body.includes(db), path).toBe(false);
    }
  });

  it('takes a box’s report into its rollout, and not a report a box makes for another box', async () => {
    await gw.services.access.credentials.addDevice('lc-ota-a', 'box-a-secret');
    await gw.services.access.credentials.addDevice('lc-ota-b', 'box-b-secret');
    const r = await gw.services.ota.engine.create({
      bundle: manifest.name,
      devices: ['lc-ota-a', 'lc-ota-b'],
      canaryPercent: 100,
      by: 't',
    });
    const a = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.services.broker.embedded!.port}`, {
      clientId: 'lc-ota-a',
      username: 'lc-ota-a',
      password: 'box-a-secret',
      clean: false,
    });
    const report = (deviceId: string, state: string) =>
      JSON.stringify({
        v: 1,
        id: newId(),
        deviceId,
        ts: new Date().toISOString(),
        rollout: r.id,
        version: manifest.version,
        sha256: manifest.sha256,
        state,
        firmware: 'roadwarden-edge/1.2.3',
      });
    // Box a speaks for b, on b's topic and on its own: neither moves b. (The broker ends a's
    // connection for the first.)
    const closed = new Promise<void>((r) => a.once('close', () => r()));
    a.publish(topics.ota('lc-ota-b'), report('lc-ota-b', 'healthy'), { qos: 0 });
    await closed;
    await a.endAsync(true);
    const a2 = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.services.broker.embedded!.port}`, {
      clientId: 'lc-ota-a',
      username: 'lc-ota-a',
      password: 'box-a-secret',
    });
    await a2.publishAsync(topics.ota('lc-ota-a'), report('lc-ota-b', 'healthy'), { qos: 1 });
    await a2.publishAsync(topics.ota('lc-ota-a'), report('lc-ota-a', 'healthy'), { qos: 1 });
    const stateOf = async (d: string) =>
      (await gw.services.ota.store.targets(r.id)).find((t) => t.deviceId === d)?.state;
    await until(async () => (await stateOf('lc-ota-a')) === 'healthy', 5000, 'box a healthy');
    expect(await stateOf('lc-ota-b')).not.toBe('healthy');
    await a2.endAsync();
  });

  it('pauses, resumes and cancels a rollout over HTTP (admins only) and from the CLI, the same rule for both', async () => {
    const r = await gw.services.ota.engine.create({ bundle: manifest.name, devices: ['lc-x-1', 'lc-x-2'], by: 't' });
    const admin = await gw.services.access.tokens.issue('admin-1', 'admin');
    const tech = await gw.services.access.tokens.issue('tech-1', 'technician');
    const move = (action: string, token = admin, id = r.id) =>
      fetch(`${base}/api/v1/ota/rollouts/${encodeURIComponent(id)}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      }).then(async (x) => ({ status: x.status, body: (await x.json()) as Record<string, unknown> }));
    expect((await move('pause', tech)).status).toBe(403);
    expect((await move('pause')).body).toMatchObject({ state: 'paused', haltedReason: 'paused by admin-1' });
    const again = await move('pause');
    expect(again).toMatchObject({ status: 409, body: { error: 'wrong_state' } });
    expect(again.body.message).toMatch(/is paused: only a canary or rolling one can be paused/);
    expect((await move('resume', admin, '../rollouts')).status).toBe(404);
    // The CLI on the same data dir, as a county admin on the server would.
    const cli = await runCli(['gateway', 'ota', 'cancel', r.id, '--data-dir', gw.dataDir, '--by', 'wang']);
    expect(cli.stdout).toBe(`rollout ${r.id}: cancelled\n`);
    expect(await gw.services.ota.engine.view(r.id)).toMatchObject({
      state: 'cancelled',
      haltedReason: 'cancelled by wang',
      counts: { cancelled: 2 },
    });
    const late = await runCli(['gateway', 'ota', 'resume', r.id, '--data-dir', gw.dataDir]);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/is cancelled: only a paused one can be resumed/);
  });
});
