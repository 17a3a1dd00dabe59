import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtaFleet } from '../testing/ota-fleet.ts';
import { crashAtStart } from '../testing/release-variants.ts';
import { until } from '../testing/until.ts';

const BOXES = 20;

/** A county's fleet updated from the centre over the real paths: the gateway (CLI and API) and 20 installed boxes. */
describe(`a rollout to ${BOXES} boxes: the canary share first, then all; a broken bundle stops at the canaries, which roll back`, {
  timeout: 600_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-ota-fleet-'));
  const fleet = new OtaFleet(dir, BOXES, '0.2.0-rollout.base');
  const allOn = async (f: string) => [...(await fleet.firmware()).values()].every((x) => x === f);

  beforeAll(() => fleet.start(), 400_000);
  afterAll(async () => {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a good bundle: 2 canaries first, then the other 18; every box healthy on the new version', async () => {
    const created = await fleet.rollOut('0.2.1');
    expect(created.state).toBe('canary');
    expect(created.targets.filter((t) => t.stage === 'canary')).toHaveLength(2);
    const v = await fleet.follow(created.id, (x) => x.state === 'done' || x.state === 'halted');
    expect(v.state).toBe('done');
    expect(v.counts).toEqual({ healthy: BOXES });
    await until(() => allOn('roadwarden-edge/0.2.1'), 60_000, 'every box online on 0.2.1');
    const status = await fleet.cli(['ota', 'status', created.id]);
    expect(status.stdout).toMatch(new RegExp(`rollout ${created.id}: done`));
    expect(status.stdout.match(/\thealthy\t/g)).toHaveLength(BOXES);
  });

  it('a bundle that crashes: the canaries roll back by themselves, the rollout halts, no other box takes it', async () => {
    const created = await fleet.rollOut('0.2.2-broken', crashAtStart);
    const canaries = created.targets.filter((t) => t.stage === 'canary').map((t) => t.deviceId);
    const v = await fleet.follow(created.id, (x) => x.state === 'halted' || x.state === 'done');
    expect(v.state).toBe('halted');
    expect(v.haltedReason).toMatch(/canary lc-fleet-\d+ rolled_back: .*broken on purpose/);
    // The gateway's view: the canaries that took it rolled back (both, once the second has said so), nobody else moved.
    const end = await fleet.follow(created.id, (x) => x.targets.filter((t) => t.state === 'rolled_back').length === 2);
    for (const t of end.targets)
      expect(t.state, t.deviceId).toBe(canaries.includes(t.deviceId) ? 'rolled_back' : 'waiting');
    await until(() => allOn('roadwarden-edge/0.2.1'), 60_000, 'every box back online on 0.2.1');
    for (const id of canaries) {
      const opt = join(dir, 'boxes', id);
      expect(realpathSync(join(opt, 'current'))).toBe(join(opt, 'releases', 'roadwarden-edge-0.2.1'));
      expect(readdirSync(join(opt, 'releases'))).not.toContain('roadwarden-edge-0.2.2-broken');
    }
  });
});
