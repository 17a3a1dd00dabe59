import { Type, type Static } from '@sinclair/typebox';
import { EventEmitter } from 'node:events';
import type { Viewer } from '../access/viewer.ts';
import type { Logger } from 'pino';
import { HEALTH_FLAGS, type HealthFlag, type StatusMessage, type TelemetryMessage } from '../../protocols/index.ts';
import type { DeviceStore } from '../devices/device-store.ts';
import type { SelfTests } from '../devices/selftest-store.ts';
import type { DaySummary, Ticket, TicketStore } from './ticket-store.ts';
import { every } from '../periodic.ts';

export const TicketsConfig = Type.Object(
  {
    /** A box silent this long gets an "offline" ticket. */
    offlineAfterMin: Type.Optional(
      Type.Number({ minimum: 1, maximum: 7 * 24 * 60, description: 'minutes (default 30)' }),
    ),
    /** Health flags that open a ticket (default: every hardware fault). */
    faults: Type.Optional(Type.Array(Type.Union(HEALTH_FLAGS.map((f) => Type.Literal(f))), { uniqueItems: true })),
    /** Technician team per township (乡镇); "*" takes the rest. */
    teams: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }))),
    /** Day boundaries of the daily summary (China: +08:00, the default). */
    utcOffset: Type.Optional(Type.String({ pattern: '^[+-]([01]\\d|2[0-3]):[0-5]\\d$' })),
  },
  { additionalProperties: false },
);
export type TicketsConfig = Static<typeof TicketsConfig>;

/** Every hardware fault the boxes report; a full outbox is the box's own business, not a repair. */
export const DEFAULT_TICKET_FAULTS: HealthFlag[] = HEALTH_FLAGS.filter((f) => f !== 'outbox_dropping');

export class TicketError extends Error {
  constructor(
    readonly code: 'not_found' | 'already_closed' | 'note_required' | 'selftest_required',
    message: string,
  ) {
    super(message);
  }
}

export interface FaultWatcherOptions {
  store: TicketStore;
  registry: DeviceStore;
  selftests: SelfTests;
  config?: TicketsConfig;
  now?: () => Date;
  checkEveryMs?: number;
  /** Whether this worker runs the offline check (the one that leads: worker.ts). */
  leads?: () => boolean;
  logger?: Logger;
}

/**
 * Opens fault tickets from what the boxes report (health flags in telemetry) and from silence
 * (no message for offlineAfterMin), notes when a fault clears, and closes a ticket (销号) only
 * with a note and a passing self-test received after the fault was last seen.
 * Emits 'opened' (Ticket) and 'closed' (Ticket).
 */
export class FaultWatcher extends EventEmitter<{ opened: [Ticket]; closed: [Ticket] }> {
  private readonly faults: Set<string>;
  private readonly now: () => Date;
  private readonly log: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: FaultWatcherOptions) {
    super();
    this.faults = new Set(o.config?.faults ?? DEFAULT_TICKET_FAULTS);
    this.now = o.now ?? (() => new Date());
    this.log = o.logger?.child({ unit: 'tickets' });
  }

  async start(): Promise<void> {
    await this.checkOffline();
    this.timer = every(
      this.o.checkEveryMs ?? 60_000,
      'offline check',
      () => this.checkOffline(),
      this.log,
      this.o.leads ?? (() => true),
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async onTelemetry(m: TelemetryMessage): Promise<void> {
    const at = this.now().toISOString();
    await this.o.store.cleared(m.deviceId, 'offline', at);
    for (const flag of m.flags) if (this.faults.has(flag)) await this.report(m.deviceId, flag, describe(m, flag), at);
    for (const kind of await this.o.store.openKinds(m.deviceId)) {
      if (kind !== 'offline' && !(m.flags as string[]).includes(kind)) await this.o.store.cleared(m.deviceId, kind, at);
    }
  }

  async onStatus(m: StatusMessage): Promise<void> {
    if (m.state === 'online') await this.o.store.cleared(m.deviceId, 'offline', this.now().toISOString());
  }

  /** Boxes silent for longer than offlineAfterMin; a box never seen yet is not overdue. */
  async checkOffline(): Promise<void> {
    const now = this.now();
    const cutoff = new Date(now.getTime() - (this.o.config?.offlineAfterMin ?? 30) * 60_000).toISOString();
    const silent = await this.o.registry.silentSince(cutoff);
    for (const d of silent) {
      const open = await this.o.store.openFor(d.id, 'offline');
      if (open && !open.clearedAt) continue;
      await this.report(d.id, 'offline', `no message from the box since ${d.lastSeen}`, now.toISOString());
    }
  }

  /** 销号: needs a note and a passing self-test received after the fault was last seen. */
  async close(id: string, by: string, note: string): Promise<Ticket> {
    const t = await this.o.store.get(id);
    if (!t) throw new TicketError('not_found', `no ticket ${id}`);
    if (t.closedAt)
      throw new TicketError('already_closed', `ticket ${id} was closed at ${t.closedAt} by ${t.closedBy}`);
    if (note.trim().length < 2)
      throw new TicketError(
        'note_required',
        'closing a ticket (销号) needs a note: what was found and what was repaired',
      );
    const st = await this.o.selftests.passedSince(t.deviceId, t.lastSeenAt);
    if (!st) {
      const last = (await this.o.selftests.list(t.deviceId, 1))[0];
      const lastSaid = !last
        ? 'no self-test has been received from this box'
        : last.receivedAt <= t.lastSeenAt
          ? `the last self-test (${last.receivedAt}) is older than the fault, last seen ${t.lastSeenAt}`
          : `the last self-test (${last.receivedAt}) failed: ${last.failed.join('; ')}`;
      throw new TicketError(
        'selftest_required',
        `closing needs a passing self-test after the repair (run \`roadwarden selftest\` on the box): ${lastSaid}`,
      );
    }
    const closed = await this.o.store.markClosed(id, by, note.trim(), st.id, this.now().toISOString());
    this.log?.info({ ticket: id, deviceId: t.deviceId, kind: t.kind, by, selftest: st.id }, 'ticket closed (销号)');
    this.emit('closed', closed);
    return closed;
  }

  /** The daily summary per township (today by default), in the county's day. */
  async daySummary(day?: string, v?: Viewer): Promise<DaySummary> {
    return await this.o.store.daySummary(day, this.o.config?.utcOffset, this.now(), v);
  }

  private async report(deviceId: string, kind: string, detail: string | undefined, at: string): Promise<void> {
    const d = await this.o.registry.get(deviceId);
    const teams = this.o.config?.teams ?? {};
    const team = (d?.township && teams[d.township]) || teams['*'];
    const { ticket, opened } = await this.o.store.report({ deviceId, kind, township: d?.township, team, detail, at });
    if (!opened) return;
    this.log?.warn({ ticket: ticket.id, deviceId, kind, team, detail }, 'fault ticket opened');
    this.emit('opened', ticket);
  }
}

/** What the technician should know before driving out: which lamp, which driver and why. */
function describe(m: TelemetryMessage, flag: string): string | undefined {
  if (flag === 'lamp_fault') {
    const ch = (m.lights ?? []).filter((l) => l.lamp === 'open_circuit').map((l) => l.channel);
    if (ch.length) return `lamp open circuit on channel ${ch.join(', ')}`;
  }
  const driver = flag.endsWith('_offline') ? flag.slice(0, -'_offline'.length) : undefined;
  const errors = Object.entries(m.drivers).filter(([name, h]) => h.error && (!driver || name.startsWith(driver)));
  if (errors.length) return errors.map(([name, h]) => `${name}: ${h.error!.message}`).join('; ');
  if (m.power && (flag === 'low_battery' || flag === 'solar_low'))
    return `battery ${m.power.batteryV ?? '?'} V, solar ${m.power.solarV ?? '?'} V`;
  return undefined;
}
