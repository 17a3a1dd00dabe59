import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  encodeMessage,
  topics,
  type CommandMessage,
  type CommandResultMessage,
  type EventMessage,
  type IdGenerator,
} from '../../protocols/index.ts';
import type { CaseRow, CaseStore, ResponseRow } from './case-store.ts';
import type { Channel, Notification } from './channels/channel.ts';
import { planFor, type ResponsePlan, type ResponsesConfig } from './response-plan.ts';

export interface ResponseEngineOptions {
  config: ResponsesConfig;
  cases: CaseStore;
  channels: Map<string, Channel>;
  /** Publish to the broker as the gateway (commands to boxes). */
  publish: (topic: string, payload: Buffer) => Promise<void>;
  newId: IdGenerator;
  /** The archive match for a recognised plate (owner, village, confidence), if any. */
  lookupPlate?: (plate: string) => ({ id: string } & Record<string, unknown>) | undefined;
  now?: () => Date;
  tickMs?: number;
  logger?: Logger;
}

const SYSTEM = 'gateway';

/**
 * 一报警三响应: every alarm becomes a case with three responses, each driven on its own —
 * on-site (commands to the reporting box, confirmed by its command results), village and police
 * (notifications with an acknowledgement deadline, escalated when nobody acknowledges).
 * Unfinished responses resume after a restart; receivers dedupe on the idempotency key.
 * Emits 'case' (CaseRow) when a case opens and 'change' (ResponseRow) on every move.
 */
export class ResponseEngine extends EventEmitter {
  private readonly now: () => Date;
  private readonly log: Logger | undefined;
  /** On-site command id → its response; the response is done when none of its commands is left. */
  private readonly awaiting = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly vehicles = new WeakMap<EventMessage, ({ id: string } & Record<string, unknown>) | undefined>();

  constructor(private readonly o: ResponseEngineOptions) {
    super();
    this.now = o.now ?? (() => new Date());
    this.log = o.logger?.child({ unit: 'responses' });
  }

  start(): void {
    for (const r of this.o.cases.unfinished()) if (r.state === 'pending') void this.dispatch(r);
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** An alarm came in: open its case (once per incident) and start the three responses. */
  async onAlarm(ev: EventMessage): Promise<CaseRow | undefined> {
    const plan = ev.severity === 'alarm' ? planFor(this.o.config, ev.kind) : undefined;
    if (!plan) return undefined;
    const vehicle = this.vehicleOf(ev);
    const since = plan.repeat ? new Date(this.now().getTime() - plan.repeat.withinDays * 86_400_000).toISOString() : undefined;
    const { case: c, created } = this.o.cases.open(ev, vehicle && { id: vehicle.id, repeatSince: since });
    if (!created) return c;
    this.log?.info({ caseId: c.id, deviceId: ev.deviceId, kind: ev.kind }, 'case opened');
    this.emit('case', c);
    await Promise.all(this.o.cases.responses(c.id).map((r) => this.dispatch(r, ev)));
    return c;
  }

  /** A box answered one of our on-site commands. */
  onCommandResult(res: CommandResultMessage): void {
    const responseId = this.awaiting.get(res.commandId);
    if (!responseId) return;
    this.awaiting.delete(res.commandId);
    const r = this.o.cases.response(responseId);
    if (!r || (r.state !== 'sent' && r.state !== 'pending')) return;
    if (!res.ok) return void this.move(r.id, 'failed', res.deviceId, `${res.name}: ${res.message ?? res.code}`);
    if (![...this.awaiting.values()].includes(r.id)) this.move(r.id, 'done', res.deviceId, 'box confirmed lights and voice');
  }

  acknowledge(responseId: string, actor: string, note?: string): ResponseRow {
    return this.move(responseId, 'acknowledged', actor, note);
  }

  complete(responseId: string, actor: string, outcome: string): ResponseRow {
    return this.move(responseId, 'done', actor, outcome);
  }

  waive(responseId: string, actor: string, reason: string): ResponseRow {
    if (!reason.trim()) throw Object.assign(new Error('a waiver needs a reason'), { code: 'bad_request' });
    return this.move(responseId, 'waived', actor, reason);
  }

  private move(id: string, to: ResponseRow['state'], actor: string, note?: string, deadline?: string): ResponseRow {
    const r = this.o.cases.move(id, to, actor, note, deadline);
    this.log?.info({ responseId: id, kind: r.kind, state: to, actor }, 'response moved');
    this.emit('change', r);
    return r;
  }

  private plan(r: ResponseRow): { plan: ResponsePlan; c: CaseRow } | undefined {
    const c = this.o.cases.getCase(r.caseId);
    const plan = c && planFor(this.o.config, c.kind);
    return c && plan ? { plan, c } : undefined;
  }

  private async dispatch(r: ResponseRow, ev?: EventMessage): Promise<void> {
    const p = this.plan(r);
    if (!p) return;
    try {
      if (r.kind === 'onsite') await this.dispatchOnsite(r, p.plan, p.c);
      else await this.notify(r, p.plan, p.c, ev);
    } catch (e) {
      this.log?.error({ responseId: r.id, err: (e as Error).message }, 'dispatch failed');
      this.move(r.id, 'failed', SYSTEM, (e as Error).message);
    }
  }

  private async dispatchOnsite(r: ResponseRow, plan: ResponsePlan, c: CaseRow): Promise<void> {
    const cmds: CommandMessage[] = [];
    const base = () => ({ v: 1 as const, id: this.o.newId(), deviceId: c.deviceId, ts: this.now().toISOString() });
    const expiresAt = new Date(this.now().getTime() + (plan.onsite.confirmS ?? 30) * 1000).toISOString();
    if (plan.onsite.light) cmds.push({ ...base(), name: 'set_light', params: { ...plan.onsite.light }, expiresAt });
    if (plan.onsite.voice) cmds.push({ ...base(), name: 'play_clip', params: { ...plan.onsite.voice }, expiresAt });
    if (!cmds.length) return void this.move(r.id, 'done', SYSTEM, 'plan asks for no on-site action');
    for (const m of cmds) this.awaiting.set(m.id, r.id);
    for (const m of cmds) await this.o.publish(topics.command(c.deviceId, m.name), encodeMessage('command', m));
    this.move(r.id, 'sent', SYSTEM, cmds.map((m) => m.name).join(' + '), expiresAt);
  }

  private async notify(r: ResponseRow, plan: ResponsePlan, c: CaseRow, ev?: EventMessage): Promise<void> {
    const step = r.kind === 'village' ? plan.village : plan.police;
    const channel = this.o.channels.get(step.channel);
    if (!channel) throw new Error(`channel ${step.channel} is not configured`);
    const deadline = new Date(this.now().getTime() + step.ackDeadlineS * 1000).toISOString();
    const res = await channel.send(this.notification(r, c, r.kind as 'village' | 'police', deadline, ev));
    if (res.ok) this.move(r.id, 'sent', SYSTEM, `${channel.name} (${res.attempts} attempt${res.attempts > 1 ? 's' : ''})`, deadline);
    else this.move(r.id, 'failed', SYSTEM, `${channel.name}: ${res.error}`);
  }

  /** The archive match for the event's plate, looked up once per event. */
  private vehicleOf(ev?: EventMessage): ({ id: string } & Record<string, unknown>) | undefined {
    if (!ev) return undefined;
    if (!this.vehicles.has(ev)) {
      const plate = typeof ev.data?.plate === 'string' ? ev.data.plate : undefined;
      this.vehicles.set(ev, plate ? this.o.lookupPlate?.(plate) : undefined);
    }
    return this.vehicles.get(ev);
  }

  private notification(r: ResponseRow, c: CaseRow, kind: Notification['kind'], ackDeadline: string, ev?: EventMessage, key = `${r.id}:${kind}`): Notification {
    const vehicle = this.vehicleOf(ev);
    const repeat = this.plan(r)?.plan.repeat;
    const inPerson = repeat !== undefined && c.repeatCount >= repeat.count;
    return {
      idempotencyKey: key,
      caseId: c.id,
      responseId: r.id,
      kind,
      body: {
        alarm: c.kind,
        deviceId: c.deviceId,
        openedAt: c.openedAt,
        ackDeadline,
        event: ev ? { id: ev.id, ts: ev.ts, location: ev.location, data: ev.data, evidenceId: ev.evidenceId } : { id: c.eventId },
        ...(vehicle ? { vehicle } : {}),
        ...(c.vehicleId ? { repeat: { count: c.repeatCount, inPerson, ...(inPerson && repeat?.action ? { action: repeat.action } : {}) } } : {}),
      },
    };
  }

  /**
   * Deadlines: an on-site box that never confirmed fails; an unacknowledged notification is
   * reminded every `remindEveryS`, and escalates at its deadline.
   */
  private async tick(): Promise<void> {
    const nowMs = this.now().getTime();
    const now = this.now().toISOString();
    for (const r of this.o.cases.unfinished()) {
      if (r.state !== 'sent' || !r.ackDeadline) continue;
      if (r.ackDeadline > now) {
        await this.remind(r, nowMs);
        continue;
      }
      if (r.kind === 'onsite') {
        for (const [id, rid] of this.awaiting) if (rid === r.id) this.awaiting.delete(id);
        this.move(r.id, 'failed', SYSTEM, 'the box did not confirm in time');
        continue;
      }
      const p = this.plan(r);
      const step = p && (r.kind === 'village' ? p.plan.village : p.plan.police);
      const target = step?.escalateTo ? this.o.channels.get(step.escalateTo) : undefined;
      let note = 'not acknowledged in time; no escalation target in the plan';
      if (p && target) {
        const res = await target.send(this.notification(r, p.c, 'escalation', r.ackDeadline));
        note = res.ok ? `not acknowledged in time; escalated to ${target.name}` : `not acknowledged in time; escalation to ${target.name} failed: ${res.error}`;
      }
      this.move(r.id, 'escalated', SYSTEM, note);
    }
  }

  private async remind(r: ResponseRow, nowMs: number): Promise<void> {
    if (r.kind === 'onsite') return;
    const p = this.plan(r);
    const step = p && (r.kind === 'village' ? p.plan.village : p.plan.police);
    const every = step?.remindEveryS;
    if (!p || !step || !every) return;
    const last = Date.parse(r.remindedAt ?? r.updatedAt);
    if (nowMs - last < every * 1000) return;
    const channel = this.o.channels.get(step.channel);
    if (!channel) return;
    this.o.cases.markReminded(r.id);
    const res = await channel.send(this.notification(r, p.c, 'reminder', r.ackDeadline!, undefined, `${r.id}:reminder:${nowMs}`));
    this.log?.info({ responseId: r.id, ok: res.ok }, 'reminder sent');
  }
}
