import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { counterOf, latency, secondsSince, type Metrics } from '../metrics.ts';
import {
  encodeMessage,
  topics,
  type CommandMessage,
  type CommandResultMessage,
  type EventMessage,
  type IdGenerator,
  uncertainPositions,
} from '../../protocols/index.ts';
import type { CaseRow, CaseStore, ResponseRow } from './case-store.ts';
import type { Notification } from './channels/channel.ts';
import type { Deliveries } from './delivery-store.ts';
import { Directory } from './directory.ts';
import type { OnsiteStore } from './onsite-store.ts';
import { planFor, type ResponsePlan, type ResponsesConfig } from './response-plan.ts';
import { TransitionError } from './response-state.ts';

/** What the engine needs to know about boxes: their place, and their neighbours down the road. */
export interface Places {
  device(
    id: string,
  ): Promise<{ name?: string; road?: string; crossing?: string; township?: string; village?: string } | undefined>;
  neighbours(id: string, withinM: number): Promise<Array<{ id: string; distanceM: number }>>;
}

type Vehicle = { id: string } & Record<string, unknown>;
/** An archive match: 1 exact, less one confusion away (gateway/archive/plate-match.ts), and why. */
type ArchiveMatch = Vehicle & { confidence: number; match: string };
/** The vehicle the plate is, or only a lead to it (with why it is no more than that). */
type ArchiveFinding = { vehicle?: ArchiveMatch; lead?: ArchiveMatch & { why: string } };

/** How long a stop waits for work in flight (sends already given up by the abort finish at once). */
const STOP_WAIT_MS = 5000;

export interface ResponseEngineOptions {
  config: ResponsesConfig;
  cases: CaseStore;
  /** Sends notifications through the configured channels, records them, applies rate limits. */
  deliveries: Deliveries;
  /** On-site commands waiting for the boxes' results. */
  onsite: OnsiteStore;
  places?: Places;
  /** Publish to the broker as the gateway (commands to boxes). */
  publish: (topic: string, payload: Buffer) => Promise<void>;
  newId: IdGenerator;
  /** The archive match for a recognised plate (owner, village, confidence), if any. */
  lookupPlate?: (plate: string) => Promise<ArchiveMatch | undefined>;
  now?: () => Date;
  /** This process among workers sharing the database (worker.ts); alone by default. */
  worker?: EngineWorker;
  tickMs?: number;
  logger?: Logger;
  metrics?: Metrics;
}

const SYSTEM = 'gateway';

/** What the engine needs of the worker it runs in (worker.ts). */
export interface EngineWorker {
  readonly id: string;
  readonly isLeader: boolean;
  isGone(workerId: string): Promise<boolean>;
}
const ALONE: EngineWorker = { id: 'gateway', isLeader: true, isGone: async () => true };

/** How long a claim to send a response lasts if its worker neither finishes nor is seen to be gone. */
const CLAIM_S = 600;
/** How often the leader looks for alarms without a case and responses nobody sends. */
const RECOVER_EVERY_MS = 10_000;
/** Younger ones are still being handled by the worker that stored them. */
const RECOVER_AFTER_MS = 10_000;

/**
 * 一报警三响应: every alarm becomes a case with three responses, each driven on its own —
 * on-site (commands to the reporting box, confirmed by its command results), village and police
 * (notifications with an acknowledgement deadline, escalated when nobody acknowledges).
 * Unfinished responses resume after a restart; receivers dedupe on the idempotency key.
 * Emits 'case' (CaseRow) when a case opens and 'change' (ResponseRow) on every move.
 */
export class ResponseEngine extends EventEmitter {
  private readonly now: () => Date;
  private readonly worker: EngineWorker;
  private lastRecovery = 0;
  private readonly log: Logger | undefined;
  private stopping = false;
  private readonly running = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly vehicles = new WeakMap<EventMessage, Promise<ArchiveFinding>>();
  private readonly directory: Directory;
  /** Most counties set no reminders: then the tick need not look at every open response. */
  private readonly remindersPlanned: boolean;
  private readonly caseSeconds?: Histogram;
  private readonly dispatchSeconds?: Histogram;
  /** Alarms no plan covers (stored, no case), and when each kind was last warned about. */
  private withoutPlan = 0;
  private readonly warnedAt = new Map<string, number>();

  constructor(private readonly o: ResponseEngineOptions) {
    super();
    this.now = o.now ?? (() => new Date());
    this.worker = o.worker ?? ALONE;
    this.log = o.logger?.child({ unit: 'responses' });
    this.directory = new Directory(o.config.directory);
    this.remindersPlanned = o.config.plans.some((p) => p.village.remindEveryS || p.police.remindEveryS);
    if (o.metrics) {
      counterOf(
        o.metrics,
        'rw_alarms_without_plan_total',
        'Alarms stored with no response plan for their kind (no case opened)',
        () => this.withoutPlan,
      );
      this.caseSeconds = latency(
        o.metrics,
        'rw_alarm_case_seconds',
        'A stored alarm → its case and three responses written (archive look-up included)',
      );
      this.dispatchSeconds = latency(
        o.metrics,
        'rw_alarm_dispatch_seconds',
        'A stored alarm → all three responses sent (on-site command published, notifications answered by their channels)',
      );
    }
  }

  /**
   * Open the cases a stop left undone: alarms stored within `withinH` hours whose case was never
   * written (the gateway stopped in between). Older ones are only counted: notifying a village of
   * a tricycle seen last week helps no one. Returns how many were opened and how many were too old.
   */
  async reconcile(withinH = 24, before?: string): Promise<{ opened: number; tooOld: number }> {
    const kinds = [...new Set(this.o.config.plans.flatMap((p) => p.kinds))];
    const since = new Date(this.now().getTime() - withinH * 3_600_000).toISOString();
    let opened = 0;
    for (const ev of await this.o.cases.alarmsWithoutCase(kinds, since, before)) if (await this.onAlarm(ev)) opened++;
    const tooOld = before === undefined ? await this.o.cases.countAlarmsWithoutCase(kinds, since) : 0;
    if (opened || tooOld)
      this.log?.warn({ opened, tooOld, withinH }, 'stored alarms without a case: opened the recent ones');
    return { opened, tooOld };
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.resume();
    this.timer = setInterval(() => void this.track(this.tickOnce()), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  /**
   * Take no new work and let what is in flight finish before the database closes (the module
   * aborts the channels' requests first, so a send retrying against a dead receiver gives up at
   * once). A response cut short stays pending and resumes after the restart, under the same key.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref()),
    ]);
    // What this worker left pending is for the next one to send, at once.
    await this.o.cases.releaseClaims(this.worker.id);
  }

  /**
   * Send the pending responses nobody is sending: those of workers that are gone (a kill, a lost
   * connection) are released first. Each is claimed before it is sent, so however many workers
   * look at once, each response goes out once.
   */
  private async resume(before?: string): Promise<void> {
    for (const w of await this.o.cases.claimants())
      if (await this.worker.isGone(w)) {
        const n = await this.o.cases.releaseClaims(w);
        this.log?.warn({ worker: w, responses: n }, 'a gone worker left responses unsent: sending them');
      }
    for (const r of await this.o.cases.unclaimed(this.now(), before))
      if (!(await this.o.deliveries.isHeld(r.id))) void this.track(this.dispatch(r));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    p.then(
      () => this.running.delete(p),
      () => this.running.delete(p),
    );
    return p;
  }

  /** An alarm came in: open its case (once per incident) and start the three responses. */
  onAlarm(ev: EventMessage): Promise<CaseRow | undefined> {
    // Stopping: the alarm is stored; the next start's reconciliation opens its case.
    if (this.stopping) return Promise.resolve(undefined);
    return this.track(this.openCase(ev));
  }

  private async openCase(ev: EventMessage): Promise<CaseRow | undefined> {
    if (ev.severity !== 'alarm') return undefined;
    const plan = planFor(this.o.config, ev.kind);
    if (!plan) return void this.noPlan(ev);
    const t0 = performance.now();
    const vehicle = await this.vehicleOf(ev);
    const since = plan.repeat
      ? new Date(this.now().getTime() - plan.repeat.withinDays * 86_400_000).toISOString()
      : undefined;
    const { case: c, created } = await this.o.cases.open(ev, vehicle && { id: vehicle.id, repeatSince: since });
    if (!created) return c;
    this.caseSeconds?.observe(secondsSince(t0));
    this.log?.info({ caseId: c.id, deviceId: ev.deviceId, kind: ev.kind }, 'case opened');
    this.emit('case', c);
    await Promise.all((await this.o.cases.responses(c.id)).map((r) => this.dispatch(r, ev, { plan, c })));
    this.dispatchSeconds?.observe(secondsSince(t0));
    return c;
  }

  /** A box answered one of our on-site commands. */
  async onCommandResult(res: CommandResultMessage): Promise<void> {
    const responseId = await this.o.onsite.responseOf(res.commandId);
    if (!responseId) return;
    const r = await this.o.cases.response(responseId);
    const c = r && (await this.o.cases.getCase(r.caseId));
    if (!r || !c || (r.state !== 'sent' && r.state !== 'pending')) return;
    try {
      // Neighbours' refusals go into the note; only the reporting box decides done or failed.
      if (!res.ok && res.deviceId === c.deviceId) {
        await this.move(r.id, 'failed', res.deviceId, `${res.name}: ${res.message ?? res.code}`);
        return void (await this.o.onsite.forget(r.id));
      }
      if ((await this.o.onsite.silent(r.id)).length === 0) await this.finishOnsite(r, c);
    } catch (e) {
      // Two results answered at once (on two workers): the other one finished it.
      if (!(e instanceof TransitionError)) throw e;
    }
  }

  /** The reporting box confirmed; neighbours that did not are named in the note. */
  private async finishOnsite(r: ResponseRow, c: CaseRow): Promise<void> {
    const { silent, trouble } = await this.o.onsite.outcome(r.id);
    const all = [...trouble, ...silent.filter((d) => d !== c.deviceId).map((d) => `${d} did not confirm`)];
    await this.move(
      r.id,
      'done',
      c.deviceId,
      `box confirmed lights and voice${all.length ? `; neighbours: ${all.join('; ')}` : ''}`,
    );
    await this.o.onsite.forget(r.id);
  }

  /** Said once an hour per kind (a badly set box could send thousands), counted every time. */
  private noPlan(ev: EventMessage): void {
    this.withoutPlan++;
    const nowMs = this.now().getTime();
    if (nowMs - (this.warnedAt.get(ev.kind) ?? -Infinity) < 3_600_000) return;
    this.warnedAt.set(ev.kind, nowMs);
    this.log?.warn(
      { kind: ev.kind, deviceId: ev.deviceId, eventId: ev.id },
      `no response plan covers ${ev.kind} alarms: stored, but no case opened (add the kind to a plan under responses:)`,
    );
  }

  async acknowledge(responseId: string, actor: string, note?: string): Promise<ResponseRow> {
    return await this.move(responseId, 'acknowledged', actor, note);
  }

  /**
   * The outcome is the record of what was done (溯源劝诫 for the village), so it is required; a
   * response finished straight from "sent" is acknowledged first by the same person, so the
   * timeline shows when someone took it on.
   */
  async complete(responseId: string, actor: string, outcome: string, photo?: string): Promise<ResponseRow> {
    if (!outcome.trim())
      throw Object.assign(new Error('an outcome is needed to mark a response done: say what was done'), {
        code: 'bad_request',
      });
    const r = await this.o.cases.response(responseId);
    if (r && (r.state === 'sent' || r.state === 'escalated'))
      await this.move(responseId, 'acknowledged', actor, 'acknowledged with the outcome');
    return await this.move(responseId, 'done', actor, outcome, undefined, photo);
  }

  async waive(responseId: string, actor: string, reason: string): Promise<ResponseRow> {
    if (!reason.trim()) throw Object.assign(new Error('a waiver needs a reason'), { code: 'bad_request' });
    return await this.move(responseId, 'waived', actor, reason);
  }

  async reopen(responseId: string, actor: string, reason: string): Promise<ResponseRow> {
    if (!reason.trim()) throw Object.assign(new Error('reopening needs a reason'), { code: 'bad_request' });
    const r = await this.o.cases.reopen(responseId, actor, reason);
    this.log?.info({ responseId, kind: r.kind, actor }, 'response reopened');
    this.emit('change', r);
    return r;
  }

  private async move(
    id: string,
    to: ResponseRow['state'],
    actor: string,
    note?: string,
    deadline?: string,
    photo?: string,
  ): Promise<ResponseRow> {
    const r = await this.o.cases.move(id, to, actor, note, deadline, photo);
    this.log?.info({ responseId: id, kind: r.kind, state: to, actor }, 'response moved');
    this.emit('change', r);
    return r;
  }

  private async plan(r: ResponseRow): Promise<{ plan: ResponsePlan; c: CaseRow } | undefined> {
    const c = await this.o.cases.getCase(r.caseId);
    const plan = c && planFor(this.o.config, c.kind);
    return c && plan ? { plan, c } : undefined;
  }

  /** `known`: the plan and case, when the caller has them (a new case) — no need to read them again. */
  private async dispatch(r: ResponseRow, ev?: EventMessage, known?: { plan: ResponsePlan; c: CaseRow }): Promise<void> {
    const p = known ?? (await this.plan(r));
    if (!p || !(await this.o.cases.claim(r.id, this.worker.id, this.now(), CLAIM_S))) return;
    try {
      if (r.kind === 'onsite') await this.dispatchOnsite(r, p.plan, p.c);
      else await this.notify(r, p.plan, p.c, ev);
    } catch (e) {
      if (this.stopping)
        return void this.log?.info({ responseId: r.id }, 'dispatch cut short by the stop: resumes at start');
      this.log?.error({ responseId: r.id, err: (e as Error).message }, 'dispatch failed');
      await this.move(r.id, 'failed', SYSTEM, (e as Error).message);
    }
  }

  private async dispatchOnsite(r: ResponseRow, plan: ResponsePlan, c: CaseRow): Promise<void> {
    const within = plan.onsite.neighboursWithinM;
    const neighbours = (within && (await this.o.places?.neighbours(c.deviceId, within))) || [];
    const expiresAt = new Date(this.now().getTime() + (plan.onsite.confirmS ?? 30) * 1000).toISOString();
    const cmds: CommandMessage[] = [];
    for (const deviceId of [c.deviceId, ...neighbours.map((n) => n.id)]) {
      const base = { v: 1 as const, id: this.o.newId(), deviceId, ts: this.now().toISOString(), expiresAt };
      if (plan.onsite.light) cmds.push({ ...base, name: 'set_light', params: { ...plan.onsite.light } });
      if (plan.onsite.voice)
        cmds.push({ ...base, id: this.o.newId(), name: 'play_clip', params: { ...plan.onsite.voice } });
    }
    if (!cmds.length) return void (await this.move(r.id, 'done', SYSTEM, 'plan asks for no on-site action'));
    await this.o.onsite.expect(r.id, cmds);
    for (const m of cmds) await this.o.publish(topics.command(m.deviceId, m.name), encodeMessage('command', m));
    const names = [...new Set(cmds.map((m) => m.name))].join(' + ');
    const also = neighbours.length
      ? `; also ${neighbours.map((n) => `${n.id} (${n.distanceM} m)`).join(', ')} on the same road`
      : '';
    await this.move(r.id, 'sent', SYSTEM, `${names} to ${c.deviceId}${also}`, expiresAt);
  }

  private async notify(r: ResponseRow, plan: ResponsePlan, c: CaseRow, ev?: EventMessage): Promise<void> {
    const step = r.kind === 'village' ? plan.village : plan.police;
    const recipient = r.recipient ?? (await this.route(r, c, ev));
    const channel = recipient?.channel ?? step.channel;
    const deadline = new Date(this.now().getTime() + step.ackDeadlineS * 1000).toISOString();
    const out = await this.o.deliveries.deliver(
      channel,
      await this.notification({ ...r, recipient: recipient ?? null }, c, r.kind as 'village' | 'police', deadline, ev),
      'hold',
    );
    const to = recipient ? ` to ${recipient.name}` : '';
    if (out.status === 'held')
      this.log?.info({ responseId: r.id, channel }, 'notification held for a digest (rate limit)');
    else if (out.status === 'sent')
      await this.move(
        r.id,
        'sent',
        SYSTEM,
        `${channel}${to} (${out.result.attempts} attempt${out.result.attempts > 1 ? 's' : ''})`,
        deadline,
      );
    else if (out.status === 'failed' && !this.stopping) await this.move(r.id, 'failed', SYSTEM, out.error);
  }

  /** Where the box stands, in words a receiver knows (road file, crossing, township, village). */
  private async placeOf(deviceId: string): Promise<{ place?: Record<string, string> }> {
    const d = await this.o.places?.device(deviceId);
    if (!d) return {};
    const place = Object.fromEntries(
      Object.entries({
        name: d.name,
        road: d.road,
        crossing: d.crossing,
        township: d.township,
        village: d.village,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    return Object.keys(place).length ? { place } : {};
  }

  /** Choose and record who gets this response: the owner's village cadre, or the area's duty squad. */
  private async route(r: ResponseRow, c: CaseRow, ev?: EventMessage) {
    const v = await this.vehicleOf(ev);
    const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
    const facts = {
      device: await this.o.places?.device(c.deviceId),
      owner: v && { village: str(v.village), township: str(v.township), plate: str(v.plate) },
    };
    const recipient = r.kind === 'village' ? this.directory.village(facts) : this.directory.police(facts);
    await this.o.cases.setRecipient(r.id, recipient);
    return recipient;
  }

  /**
   * The archive's word on the event's plate, looked up once per event. Only a plate read with
   * every character sure and found exactly is the vehicle (routing, repeat counts, the owner); an
   * uncertain read or a match one confusion away is a lead for people to check, never an identity.
   */
  private archiveOf(ev?: EventMessage): Promise<ArchiveFinding> {
    if (!ev) return Promise.resolve({});
    let found = this.vehicles.get(ev);
    if (!found) {
      const plate = ev.data?.plate ?? undefined;
      const uncertain = ev.data ? uncertainPositions(ev.data) : [];
      found = (plate && this.o.lookupPlate ? this.o.lookupPlate(plate) : Promise.resolve(undefined)).then((m) => {
        if (!m) return {};
        if (m.confidence === 1 && !uncertain.length) return { vehicle: m };
        const why = uncertain.length
          ? `the plate was read with uncertain characters (position ${uncertain.map((i) => i + 1).join(', ')})`
          : `not the plate read: ${m.match}`;
        return { lead: { ...m, why } };
      });
      this.vehicles.set(ev, found);
    }
    return found;
  }

  private async vehicleOf(ev?: EventMessage): Promise<Vehicle | undefined> {
    return (await this.archiveOf(ev)).vehicle;
  }

  private async notification(
    r: ResponseRow,
    c: CaseRow,
    kind: Notification['kind'],
    ackDeadline: string,
    ev?: EventMessage,
    key = `${r.id}:${kind}`,
  ): Promise<Notification> {
    const { vehicle, lead } = await this.archiveOf(ev);
    const repeat = planFor(this.o.config, c.kind)?.repeat;
    const inPerson = repeat !== undefined && c.repeatCount >= repeat.count;
    const recipient = r.recipient ?? undefined;
    return {
      idempotencyKey: key,
      caseId: c.id,
      responseId: r.id,
      kind,
      ...(recipient && kind !== 'escalation' ? { recipient } : {}),
      body: {
        alarm: c.kind,
        deviceId: c.deviceId,
        ...(await this.placeOf(c.deviceId)),
        openedAt: c.openedAt,
        ackDeadline,
        event: ev
          ? { id: ev.id, ts: ev.ts, location: ev.location, data: ev.data, evidenceId: ev.evidenceId }
          : { id: c.eventId },
        ...(vehicle ? { vehicle } : lead ? { lead } : {}),
        ...(c.vehicleId
          ? {
              repeat: {
                count: c.repeatCount,
                inPerson,
                ...(inPerson && repeat?.action ? { action: repeat.action } : {}),
              },
            }
          : {}),
      },
    };
  }

  /** Ticks never overlap: a slow receiver must not let the next tick escalate the same response twice. */
  private async tickOnce(): Promise<void> {
    if (this.ticking || !this.worker.isLeader) return;
    this.ticking = true;
    try {
      await this.tick();
    } catch (e) {
      this.log?.error({ err: (e as Error).message }, 'response tick failed');
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Deadlines: an on-site box that never confirmed fails; an unacknowledged notification is
   * reminded every `remindEveryS`, and escalates at its deadline. Held notifications go out as
   * digests when their receiver's hour has room.
   */
  private async tick(): Promise<void> {
    const nowMs = this.now().getTime();
    const now = this.now().toISOString();
    if (nowMs - this.lastRecovery >= RECOVER_EVERY_MS) {
      // A worker killed between storing an alarm and opening its case, or while sending.
      this.lastRecovery = nowMs;
      const before = new Date(nowMs - RECOVER_AFTER_MS).toISOString();
      await this.reconcile(1, before);
      await this.resume(before);
    }
    for (const r of await this.o.cases.sent({ dueBy: now })) {
      if (r.kind === 'onsite') {
        await this.onsiteDeadline(r);
        continue;
      }
      const p = await this.plan(r);
      const step = p && (r.kind === 'village' ? p.plan.village : p.plan.police);
      let note = 'not acknowledged in time; no escalation target in the plan';
      if (p && step?.escalateTo) {
        const out = await this.o.deliveries.deliver(
          step.escalateTo,
          await this.notification(r, p.c, 'escalation', r.ackDeadline!),
          'send',
        );
        note =
          out.status === 'sent'
            ? `not acknowledged in time; escalated to ${step.escalateTo}`
            : `not acknowledged in time; escalation to ${step.escalateTo} failed: ${out.status === 'failed' ? out.error : out.status}`;
      }
      await this.move(r.id, 'escalated', SYSTEM, note);
    }
    if (this.remindersPlanned)
      for (const r of await this.o.cases.sent({ notifications: true }))
        if (r.ackDeadline! > now) await this.remind(r, nowMs);
    await this.sendDigests(now);
  }

  private async onsiteDeadline(r: ResponseRow): Promise<void> {
    const c = await this.o.cases.getCase(r.caseId);
    // Tracked and the reporting box is no longer silent: it confirmed, only neighbours did not.
    if (c && (await this.o.onsite.isTracked(r.id)) && !(await this.o.onsite.silent(r.id)).includes(c.deviceId))
      return await this.finishOnsite(r, c);
    await this.move(r.id, 'failed', SYSTEM, 'the box did not confirm in time');
    await this.o.onsite.forget(r.id);
  }

  private async sendDigests(now: string): Promise<void> {
    for (const b of await this.o.deliveries.due()) {
      const first = b.items[0];
      const digest: Notification = {
        idempotencyKey: `digest:${first.responseId}`,
        caseId: first.caseId,
        responseId: first.responseId,
        kind: 'digest',
        ...(first.recipient ? { recipient: first.recipient } : {}),
        body: {
          count: b.items.length,
          items: b.items.map((i) => ({ caseId: i.caseId, responseId: i.responseId, kind: i.kind, ...i.body })),
        },
      };
      const res = await this.o.deliveries.sendDigest(b, digest);
      if (!res.ok) {
        this.log?.warn({ channel: b.channel, err: res.error }, 'digest not delivered; will retry');
        continue;
      }
      for (const i of b.items) {
        const r = await this.o.cases.response(i.responseId);
        const p = r && (await this.plan(r));
        if (!r || !p || r.state !== 'pending') continue;
        const step = r.kind === 'village' ? p.plan.village : p.plan.police;
        const deadline = new Date(Date.parse(now) + step.ackDeadlineS * 1000).toISOString();
        await this.move(r.id, 'sent', SYSTEM, `${b.channel}: in a digest of ${b.items.length} (rate limit)`, deadline);
      }
    }
  }

  private async remind(r: ResponseRow, nowMs: number): Promise<void> {
    if (r.kind === 'onsite') return;
    const p = await this.plan(r);
    const step = p && (r.kind === 'village' ? p.plan.village : p.plan.police);
    const every = step?.remindEveryS;
    if (!p || !step || !every) return;
    const last = Date.parse(r.remindedAt ?? r.updatedAt);
    if (nowMs - last < every * 1000) return;
    await this.o.cases.markReminded(r.id);
    const n = await this.notification(r, p.c, 'reminder', r.ackDeadline!, undefined, `${r.id}:reminder:${nowMs}`);
    // A reminder that would pass the receiver's limit is skipped, not held: the next one will do.
    const channel = r.recipient?.channel ?? step.channel;
    const out = await this.o.deliveries.deliver(channel, n, 'skip');
    this.log?.info({ responseId: r.id, status: out.status }, 'reminder sent');
  }
}
