import { describe, expect, it } from 'vitest';
import type { Principal } from '../registry/credentials.ts';
import { canPublish, canSubscribe } from './acl.ts';

const dev: Principal = { kind: 'device', id: 'box-1' };
const op = (role: 'gateway' | 'admin' | 'police' | 'village' | 'technician'): Principal => ({ kind: 'operator', id: role, role });

describe('topic ACL', () => {
  it('lets a device publish its own reports only', () => {
    for (const t of ['rw/v1/box-1/status', 'rw/v1/box-1/telemetry', 'rw/v1/box-1/event/presence', 'rw/v1/box-1/evidence/01J', 'rw/v1/box-1/cmd/stop/result']) {
      expect(canPublish(dev, t), t).toBe(true);
    }
    for (const t of ['rw/v1/box-2/event/presence', 'rw/v1/box-1/cmd/stop', 'rw/v1/box-1/config', 'rw/v1/box-1/other', 'other/topic', '$SYS/x']) {
      expect(canPublish(dev, t), t).toBe(false);
    }
  });

  it('lets a device subscribe to its own inbox only', () => {
    for (const f of ['rw/v1/box-1/cmd/+', 'rw/v1/box-1/cmd/stop', 'rw/v1/box-1/config']) expect(canSubscribe(dev, f), f).toBe(true);
    for (const f of ['rw/v1/box-2/cmd/+', 'rw/v1/+/cmd/+', 'rw/v1/box-1/#', '#', 'rw/v1/box-1/event/+', '$SYS/#']) expect(canSubscribe(dev, f), f).toBe(false);
  });

  it('gives operators what their role needs', () => {
    expect(canSubscribe(op('police'), 'rw/v1/+/event/+')).toBe(true);
    expect(canPublish(op('police'), 'rw/v1/box-1/cmd/stop')).toBe(false);
    expect(canPublish(op('technician'), 'rw/v1/box-1/cmd/self_test')).toBe(true);
    expect(canPublish(op('technician'), 'rw/v1/box-1/event/presence')).toBe(false);
    expect(canPublish(op('gateway'), 'rw/v1/box-1/config')).toBe(true);
    expect(canSubscribe(op('gateway'), '$share/intake/rw/v1/+/event/+')).toBe(true);
    expect(canSubscribe(op('village'), '#')).toBe(false);
    expect(canSubscribe(op('admin'), '$SYS/#')).toBe(true);
    // County notifications (case news): people's roles read them, technicians and devices do not.
    expect(canSubscribe(op('police'), 'rw-county/v1/#')).toBe(true);
    expect(canSubscribe(op('technician'), 'rw-county/v1/#')).toBe(false);
    expect(canSubscribe(dev, 'rw-county/v1/#')).toBe(false);
    expect(canPublish(op('gateway'), 'rw-county/v1/bus/police')).toBe(true);
    expect(canPublish(op('police'), 'rw-county/v1/bus/police')).toBe(false);
    expect(canPublish(dev, 'rw-county/v1/bus/police')).toBe(false);
  });
});
