import { describe, expect, it } from 'vitest';
import type { Principal } from '../access/credential-store.ts';
import type { Role } from '../access/policy.ts';
import { canPublish, canSubscribe, type PlaceOf } from './acl.ts';
import { forwardFor } from './forward-filter.ts';

const places: Record<string, { village: string; township: string }> = {
  'box-1': { village: '王屯', township: '斗虎屯镇' },
  'box-2': { village: '张庄', township: '梁水镇' },
};
const placeOf: PlaceOf = (id) => places[id];
const dev: Principal = { kind: 'device', id: 'box-1' };
const op = (role: Role, scope?: { villages?: string[]; townships?: string[] }): Principal & { kind: 'operator' } => ({
  kind: 'operator',
  id: role,
  role,
  ...(scope ? { scope } : {}),
});
const viewer = (role: Role, scope?: { villages?: string[]; townships?: string[] }) => ({
  name: role,
  role,
  ...(scope ? { scope } : {}),
});

describe('topic ACL', () => {
  it('lets a device publish its own reports only', () => {
    for (const t of [
      'rw/v1/box-1/status',
      'rw/v1/box-1/telemetry',
      'rw/v1/box-1/event/presence',
      'rw/v1/box-1/evidence/01J',
      'rw/v1/box-1/cmd/stop/result',
    ]) {
      expect(canPublish(dev, t, placeOf), t).toBe(true);
    }
    for (const t of [
      'rw/v1/box-2/event/presence',
      'rw/v1/box-1/cmd/stop',
      'rw/v1/box-1/config',
      'rw/v1/box-1/other',
      'other/topic',
      '$SYS/x',
    ]) {
      expect(canPublish(dev, t, placeOf), t).toBe(false);
    }
  });

  it('lets a device subscribe to its own inbox only', () => {
    for (const f of ['rw/v1/box-1/cmd/+', 'rw/v1/box-1/cmd/stop', 'rw/v1/box-1/config'])
      expect(canSubscribe(dev, f), f).toBe(true);
    for (const f of ['rw/v1/box-2/cmd/+', 'rw/v1/+/cmd/+', 'rw/v1/box-1/#', '#', 'rw/v1/box-1/event/+', '$SYS/#'])
      expect(canSubscribe(dev, f), f).toBe(false);
  });

  it('gives operators what their role needs, commands only to boxes in scope', () => {
    expect(canSubscribe(op('police'), 'rw/v1/+/event/+')).toBe(true);
    expect(canPublish(op('police'), 'rw/v1/box-1/cmd/stop', placeOf)).toBe(false);
    expect(canPublish(op('technician'), 'rw/v1/box-1/cmd/self_test', placeOf)).toBe(true);
    expect(canPublish(op('technician', { villages: ['张庄'] }), 'rw/v1/box-1/cmd/self_test', placeOf)).toBe(false);
    expect(canPublish(op('technician', { villages: ['张庄'] }), 'rw/v1/box-2/cmd/self_test', placeOf)).toBe(true);
    expect(canPublish(op('technician'), 'rw/v1/box-1/event/presence', placeOf)).toBe(false);
    // An agent update only from those who may roll one out: admins and the gateway, not technicians.
    expect(canPublish(op('technician'), 'rw/v1/box-1/cmd/update_agent', placeOf)).toBe(false);
    expect(canPublish(op('admin'), 'rw/v1/box-1/cmd/update_agent', placeOf)).toBe(true);
    expect(canPublish(op('gateway'), 'rw/v1/box-1/cmd/update_agent', placeOf)).toBe(true);
    expect(canPublish(op('technician'), 'rw/v1/box-1/config', placeOf)).toBe(false);
    expect(canPublish(op('gateway'), 'rw/v1/box-1/config', placeOf)).toBe(true);
    expect(canSubscribe(op('gateway'), '$share/intake/rw/v1/+/event/+')).toBe(true);
    expect(canSubscribe(op('admin'), '$share/intake/rw/v1/+/event/+')).toBe(false);
    // Per-delivery filtering makes a wide filter safe; what arrives is checked per message.
    expect(canSubscribe(op('village', { villages: ['王屯'] }), 'rw/v1/#')).toBe(true);
    expect(canSubscribe(op('admin'), '$SYS/#')).toBe(true);
    expect(canSubscribe(op('police'), '$SYS/#')).toBe(false);
    // County notifications (case news): roles that may see personal data read them; technicians and devices do not.
    expect(canSubscribe(op('police'), 'rw-county/v1/#')).toBe(true);
    expect(canSubscribe(op('technician'), 'rw-county/v1/#')).toBe(false);
    expect(canSubscribe(dev, 'rw-county/v1/#')).toBe(false);
    expect(canPublish(op('gateway'), 'rw-county/v1/bus/police', placeOf)).toBe(true);
    expect(canPublish(op('admin'), 'rw-county/v1/bus/police', placeOf)).toBe(false);
    expect(canPublish(op('police'), 'rw-county/v1/bus/police', placeOf)).toBe(false);
    expect(canPublish(dev, 'rw-county/v1/bus/police', placeOf)).toBe(false);
  });
});

describe('per-delivery filter', () => {
  const event = (box: string) => ({
    topic: `rw/v1/${box}/event/tricycle_passengers`,
    payload: Buffer.from(JSON.stringify({ deviceId: box, data: { plate: '鲁PA1234', riders: 3 } })),
  });
  const image = { topic: `rw/v1/box-1/image/${'a'.repeat(64)}`, payload: Buffer.from([0xff, 0xd8]) };

  it('gives a cadre only their villages’ boxes, and never another village’s', () => {
    const cadre = viewer('village', { villages: ['王屯'] });
    expect(forwardFor(cadre, event('box-1'), placeOf)).toEqual({ forward: true });
    expect(forwardFor(cadre, event('box-2'), placeOf)).toEqual({ forward: false });
    expect(forwardFor(cadre, event('box-unknown'), placeOf)).toEqual({ forward: false });
    expect(forwardFor(viewer('police', { townships: ['梁水镇'] }), event('box-2'), placeOf)).toEqual({ forward: true });
  });

  it('gives a technician no image or evidence, and events with the plate masked', () => {
    const tech = viewer('technician');
    expect(forwardFor(tech, image, placeOf)).toEqual({ forward: false });
    expect(forwardFor(tech, { topic: 'rw/v1/box-1/evidence/01J', payload: '{}' }, placeOf)).toEqual({ forward: false });
    const v = forwardFor(tech, event('box-1'), placeOf);
    expect(v.forward && v.payload && JSON.parse(v.payload.toString()).data).toEqual({ plate: '鲁P***34', riders: 3 });
    expect(forwardFor(viewer('admin'), image, placeOf)).toEqual({ forward: true });
  });

  it('gives county notifications only for cases in scope, and trims digests to them', () => {
    const cadre = viewer('village', { villages: ['王屯'] });
    const notice = (o: object) => ({ topic: 'rw-county/v1/bus/village', payload: JSON.stringify(o) });
    expect(forwardFor(cadre, notice({ caseId: 'C1', deviceId: 'box-1' }), placeOf)).toEqual({ forward: true });
    expect(forwardFor(cadre, notice({ caseId: 'C2', deviceId: 'box-2' }), placeOf)).toEqual({ forward: false });
    // A 王屯 villager's vehicle seen at 张庄: the cadre follows their villager.
    expect(
      forwardFor(cadre, notice({ caseId: 'C3', deviceId: 'box-2', vehicle: { village: '王屯' } }), placeOf),
    ).toEqual({ forward: true });
    const digest = forwardFor(
      cadre,
      notice({
        kind: 'digest',
        count: 2,
        items: [
          { caseId: 'C1', deviceId: 'box-1' },
          { caseId: 'C2', deviceId: 'box-2' },
        ],
      }),
      placeOf,
    );
    expect(digest.forward && digest.payload && JSON.parse(digest.payload.toString())).toMatchObject({
      count: 1,
      items: [{ caseId: 'C1' }],
    });
    expect(forwardFor(viewer('technician'), notice({ caseId: 'C1', deviceId: 'box-1' }), placeOf)).toEqual({
      forward: false,
    });
    expect(forwardFor(cadre, { topic: 'rw-county/v1/bus/village', payload: 'not json' }, placeOf)).toEqual({
      forward: false,
    });
  });
});
