import type { CheckResult } from '../../hardware/index.ts';
import { encodeMessage, topics, type IdGenerator, type SelfTestReport } from '../../protocols/index.ts';
import type { OutboxMessage } from '../outbox.ts';

/** A self-test as the gateway files it: passes only when every check passed. */
export function selfTestReport(
  o: {
    deviceId: string;
    trigger: SelfTestReport['trigger'];
    by?: string;
    firmware?: string;
    newId: IdGenerator;
    now?: Date;
  },
  checks: CheckResult[],
): SelfTestReport {
  return {
    v: 1,
    id: o.newId(),
    deviceId: o.deviceId,
    ts: (o.now ?? new Date()).toISOString(),
    ok: checks.length > 0 && checks.every((c) => c.ok),
    trigger: o.trigger,
    ...(o.by ? { by: o.by } : {}),
    ...(o.firmware ? { firmware: o.firmware } : {}),
    checks: checks.map((c) => ({
      device: c.device,
      check: c.check,
      ok: c.ok,
      message: c.message.slice(0, 1024),
      ms: c.ms,
    })),
  };
}

/** The report as an outbox message: never dropped, sent whenever the gateway is reachable. */
export function selfTestOutboxMessage(r: SelfTestReport): OutboxMessage {
  return { id: r.id, topic: topics.selftest(r.deviceId), payload: encodeMessage('selftest', r), cls: 'result' };
}
