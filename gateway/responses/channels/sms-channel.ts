import type { Logger } from 'pino';
import { eventDataOf } from '../../../protocols/index.ts';
import type { Channel, DeliveryResult, Notification } from './channel.ts';
import { postJson, type RetryOptions } from './http-post.ts';
import { Limiter } from './limiter.ts';

export interface SmsOptions extends RetryOptions {
  maxInFlight?: number;
  name: string;
  /** The SMS gateway's send endpoint: it gets `{to, text, idempotencyKey}` as JSON. */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  token: string;
  /** The registered SMS signature, shown as 【sign】 at the start of every text. */
  sign: string;
  /** Times in the text are local to the county. */
  timeZone?: string;
  logger?: Logger;
}

const ALARM_LABELS: Record<string, string> = {
  tricycle_passengers: '三轮车违法载人',
  minivan_overload: '面包车超员',
  no_helmet: '未戴头盔',
  presence: '路口来车',
  fault: '设备故障',
  tamper: '设备遭破坏',
  weather: '恶劣天气',
};
const PREFIX: Record<Notification['kind'], string> = {
  village: '',
  police: '',
  reminder: '【提醒】',
  escalation: '【升级】',
  digest: '',
};

const str = (x: unknown): string | undefined => (typeof x === 'string' && x ? x : undefined);

/**
 * Text messages through an SMS gateway's HTTP API, for cadres and squads without the app. The
 * text is short Chinese (one or two SMS segments): what, where, which plate, by when to confirm,
 * and the case number to quote; confirming happens in the app, the dashboard or by phone.
 */
export class SmsChannel implements Channel {
  readonly name: string;
  /** Requests in flight to this receiver at most (default 8). */
  private readonly limiter: Limiter;

  constructor(private readonly o: SmsOptions) {
    this.name = o.name;
    this.limiter = new Limiter(o.maxInFlight ?? 8);
  }

  send(n: Notification, signal?: AbortSignal): Promise<DeliveryResult> {
    const to = n.recipient?.phone;
    if (!to)
      return Promise.resolve({
        ok: false,
        attempts: 0,
        error: `no phone number on file for ${n.recipient?.name ?? 'this receiver'} (directory)`,
      });
    const body = JSON.stringify({ to, text: this.text(n), idempotencyKey: n.idempotencyKey });
    return postJson(
      this.o.url,
      body,
      () => ({ authorization: `Bearer ${this.o.token}`, 'idempotency-key': n.idempotencyKey }),
      {
        ...this.o,
        signal,
        limiter: this.limiter,
        onFailure: (attempt, err) =>
          this.o.logger?.warn({ channel: this.name, attempt, err, key: n.idempotencyKey }, 'SMS delivery failed'),
      },
    );
  }

  text(n: Notification): string {
    const b = n.body;
    if (n.kind === 'digest') {
      const items = (b.items as Array<{ alarm?: string }> | undefined) ?? [];
      const counts = new Map<string, number>();
      for (const i of items)
        counts.set(
          ALARM_LABELS[i.alarm ?? ''] ?? i.alarm ?? '报警',
          (counts.get(ALARM_LABELS[i.alarm ?? ''] ?? i.alarm ?? '报警') ?? 0) + 1,
        );
      const list = [...counts].map(([k, c]) => `${k}×${c}`).join('、');
      return `【${this.o.sign}】近1小时另有${items.length}起报警：${list}。请登录平台逐一确认。`;
    }
    const place = b.place as Record<string, unknown> | undefined;
    const where =
      [str(place?.township), str(place?.village), str(place?.crossing) ?? str(place?.name)].filter(Boolean).join('') ||
      str(b.deviceId) ||
      '';
    const ev = b.event as { ts?: string; data?: unknown } | undefined;
    const plate = eventDataOf(ev?.data).plate ?? undefined;
    const when = ev?.ts ? this.clock(ev.ts) : '';
    const deadline = str(b.ackDeadline) ? `，请于${this.clock(b.ackDeadline as string)}前确认` : '';
    const label = ALARM_LABELS[str(b.alarm) ?? ''] ?? str(b.alarm) ?? '报警';
    const caseNo = n.caseId.slice(-6);
    return `【${this.o.sign}】${PREFIX[n.kind]}${label}：${where}${plate ? ` ${plate}` : ''}${when ? ` ${when}` : ''}${deadline}（案件${caseNo}）`;
  }

  private clock(iso: string): string {
    return new Date(iso).toLocaleTimeString('zh-CN', {
      timeZone: this.o.timeZone ?? 'Asia/Shanghai',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
  }
}
