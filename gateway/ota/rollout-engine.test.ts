import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CommandName,
  type CommandParams,
  createIdGenerator,
  generateUpdateKeys,
  type OtaStatusMessage,
  signManifest,
} from '../../protocols/index.ts';
import { closeTestStores, TEST_STORES } from '../../sim/testing/sql-stores.ts';
import type { CommandSender } from '../devices/command-sender.ts';
import { OtaStore } from './ota-store.ts';
import { RolloutEngine } from './rollout-engine.ts';
import { controlRollout } from './rollout-control.ts';
import { RolloutError } from './rollout-plan.ts';

const BOXES = Array.from({ length: 10 }, (_, i) => `box-${i}`);
const { privateKeyPem } = generateUpdateKeys();
const manifest = {
  kind: 'agent' as const,
  name: 'roadwarden-edge-9.9.9',
  version: '9.9.9',
  sha256: 'b'.repeat(64),
  size: 42,
};

describe.each(TEST_STORES)('staged rollouts on $name', (store) => {
  const newId = createIdGenerator();
  let ota: OtaStore;
  let engine: RolloutEngine;
  let now: Date;
  let sent: Array<{ deviceId: string; id: string; params: CommandParams<'update_agent'>; expiresInS?: number }>;

  beforeEach(async () => {
    ota = new OtaStore(await store.open());
    now = new Date('2026-12-07T08:00:00Z');
    sent = [];
    const commands = {
      async send<N extends CommandName>(deviceId: string, _name: N, params: CommandParams<N>, expiresInS?: number) {
        const id = newId();
        sent.push({ deviceId, id, params: params as CommandParams<'update_agent'>, expiresInS });
        return id;
      },
    } as unknown as CommandSender;
    engine = new RolloutEngine({
      store: ota,
      commands,
      config: { publicKey: 'unused.pem', perMinute: 120, timeoutS: 600 },
      baseUrl: () => 'http://10.0.0.2:8080/',
      now: () => now,
      newId,
      leads: () => true,
    });
    await ota.publish({
      ...manifest,
      signed: signManifest(manifest, privateKeyPem),
      publishedAt: now.toISOString(),
      publishedBy: 't',
    });
  });
  afterEach(closeTestStores);

  const report = (deviceId: string, rollout: string, state: OtaStatusMessage['state'], reason?: string) =>
    engine.onReport({
      v: 1,
      id: newId(),
      deviceId,
      ts: now.toISOString(),
      rollout,
      version: manifest.version,
      sha256: manifest.sha256,
      state,
      firmware: 'roadwarden-edge/0.2.0',
      ...(reason ? { reason } : {}),
    });
  const states = async (id: string) => Object.fromEntries((await ota.targets(id)).map((t) => [t.deviceId, t.state]));

  it('sends the canaries first, the rest only once each canary is healthy, at the pace allowed, and ends done', async () => {
    const r = await engine.create({ bundle: manifest.name, devices: BOXES, canaryPercent: 20, by: 'admin' });
    await engine.tick();
    expect(sent.map((s) => s.deviceId)).toEqual(['box-0', 'box-1']);
    expect(sent[0]!.params).toMatchObject({
      rollout: r.id,
      url: `http://10.0.0.2:8080/ota/bundles/${manifest.sha256}.tar.gz`,
      bundle: { manifest },
    });
    expect(sent[0]!.expiresInS).toBe(600);
    await report('box-0', r.id, 'healthy');
    await report('box-1', r.id, 'installed');
    await engine.tick();
    expect(sent).toHaveLength(2); // box-1 is not healthy yet
    await report('box-1', r.id, 'healthy');
    await engine.tick(); // 120 a minute: 2 a second
    expect(sent).toHaveLength(4);
    for (let i = 0; i < 4; i++) await engine.tick();
    expect(sent).toHaveLength(10);
    for (const b of BOXES.slice(2)) await report(b, r.id, 'healthy');
    await engine.tick();
    expect((await ota.rollout(r.id))?.state).toBe('done');
  });

  it('halts on a canary that rolls back, with its reason; the rest never get the command', async () => {
    const r = await engine.create({ bundle: manifest.name, devices: BOXES, canaryPercent: 20, by: 'admin' });
    await engine.tick();
    await report('box-0', r.id, 'rolled_back', 'the new version exited 1 before it was healthy: Error: boom');
    await engine.tick();
    const v = await engine.view(r.id);
    expect(v).toMatchObject({
      state: 'halted',
      haltedReason: expect.stringMatching(/^canary box-0 rolled_back: .*boom/),
    });
    for (let i = 0; i < 5; i++) await engine.tick();
    expect(sent.map((s) => s.deviceId)).toEqual(['box-0', 'box-1']);
    expect(v!.counts).toEqual({ rolled_back: 1, pending: 1, waiting: 8 });
  });

  it('a refused command fails that box; silence past the timeout fails it; a late report undoes neither', async () => {
    const r = await engine.create({
      bundle: manifest.name,
      devices: ['box-0', 'box-1'],
      canaryPercent: 100,
      by: 'admin',
    });
    expect(r.state).toBe('rolling');
    await engine.tick();
    await engine.onCommandResult({
      v: 1,
      id: newId(),
      deviceId: 'box-0',
      ts: now.toISOString(),
      commandId: sent[0]!.id,
      name: 'update_agent',
      ok: false,
      code: 'no_ota',
      message: 'this box holds no update key',
    });
    now = new Date(now.getTime() + 601_000);
    await engine.tick();
    expect(await states(r.id)).toEqual({ 'box-0': 'failed', 'box-1': 'failed' });
    const targets = await ota.targets(r.id);
    expect(targets.map((t) => t.reason)).toEqual(['no_ota: this box holds no update key', 'no report within 600 s']);
    await report('box-1', r.id, 'downloading');
    expect(await states(r.id)).toEqual({ 'box-0': 'failed', 'box-1': 'failed' });
    expect((await ota.rollout(r.id))?.state).toBe('done');
  });

  it('keeps the newest word when reports arrive out of order, and a report before the send is recorded', async () => {
    const r = await engine.create({ bundle: manifest.name, devices: ['box-0'], by: 'admin' });
    // The box answers faster than the gateway writes down that it sent.
    await report('box-0', r.id, 'downloading');
    await ota.sent(r.id, 'box-0', 'cmd-1', now.toISOString());
    expect(await states(r.id)).toEqual({ 'box-0': 'downloading' });
    const later = new Date(now.getTime() + 5000);
    const earlier = now;
    now = later;
    await report('box-0', r.id, 'installed');
    now = earlier;
    await report('box-0', r.id, 'downloading');
    expect(await states(r.id)).toEqual({ 'box-0': 'installed' });
    expect((await ota.byCommand('cmd-1'))?.deviceId).toBe('box-0');
  });

  it('refuses a rollout of a bundle nobody published, or to no box; a box listed twice counts once', async () => {
    await expect(engine.create({ bundle: 'roadwarden-edge-0.0.1', devices: BOXES, by: 'a' })).rejects.toBeInstanceOf(
      RolloutError,
    );
    await expect(engine.create({ bundle: manifest.name, devices: [], by: 'a' })).rejects.toThrow(/no boxes/);
    const r = await engine.create({ bundle: manifest.sha256, devices: ['box-0', 'box-0', 'box-1'], by: 'a' });
    expect(await ota.targets(r.id)).toHaveLength(2);
  });

  it('pauses (no box gets it meanwhile), resumes where it stopped, cancels (the waiting never get it); refuses moves from the wrong state', async () => {
    const at = () => ({ by: 'admin-1', at: now.toISOString() });
    const r = await engine.create({ bundle: manifest.name, devices: BOXES, canaryPercent: 20, by: 'admin' });
    await engine.tick();
    expect(sent).toHaveLength(2);
    expect(await controlRollout(ota, r.id, 'pause', at())).toMatchObject({
      state: 'paused',
      haltedReason: 'paused by admin-1',
    });
    // The canaries that have the command go on and report; nothing more is sent while paused.
    await report('box-0', r.id, 'healthy');
    await report('box-1', r.id, 'healthy');
    for (let i = 0; i < 3; i++) await engine.tick();
    expect(sent).toHaveLength(2);
    await expect(controlRollout(ota, r.id, 'pause', at())).rejects.toMatchObject({ code: 'wrong_state' });
    expect(await controlRollout(ota, r.id, 'resume', at())).toMatchObject({ state: 'canary', haltedReason: null });
    await engine.tick();
    expect((await ota.rollout(r.id))?.state).toBe('rolling');
    expect(sent).toHaveLength(4);
    const cancelled = await controlRollout(ota, r.id, 'cancel', at());
    expect(cancelled).toMatchObject({ state: 'cancelled', haltedReason: 'cancelled by admin-1' });
    for (let i = 0; i < 5; i++) await engine.tick();
    expect(sent).toHaveLength(4);
    const s = await states(r.id);
    expect(Object.values(s).filter((x) => x === 'cancelled')).toHaveLength(6);
    // A box that had the command still reports, and its word is kept.
    await report('box-2', r.id, 'healthy');
    expect((await states(r.id))['box-2']).toBe('healthy');
    for (const a of ['pause', 'resume', 'cancel'] as const)
      await expect(controlRollout(ota, r.id, a, at())).rejects.toThrow(/is cancelled: only a .* one can be/);
    await expect(controlRollout(ota, 'no-such-rollout', 'pause', at())).rejects.toMatchObject({ code: 'no_rollout' });
  });

  it('a resumed rollout whose canary went bad meanwhile halts; a halted one can be cancelled, not resumed', async () => {
    const at = () => ({ by: 'admin-1', at: now.toISOString() });
    const r = await engine.create({ bundle: manifest.name, devices: BOXES, canaryPercent: 10, by: 'admin' });
    await engine.tick();
    await controlRollout(ota, r.id, 'pause', at());
    await report('box-0', r.id, 'rolled_back', 'vision offline');
    await controlRollout(ota, r.id, 'resume', at());
    await engine.tick();
    expect(await ota.rollout(r.id)).toMatchObject({
      state: 'halted',
      haltedReason: expect.stringMatching(/box-0 rolled_back/),
    });
    await expect(controlRollout(ota, r.id, 'resume', at())).rejects.toMatchObject({ code: 'wrong_state' });
    expect((await controlRollout(ota, r.id, 'cancel', at())).state).toBe('cancelled');
    expect(sent).toHaveLength(1);
  });
});
