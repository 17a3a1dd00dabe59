/** One notification to a receiver (village app, police dispatch, SMS gateway, county bus). */
export interface Notification {
  /** Same on every retry and after a gateway restart: the receiver dedupes on it. */
  idempotencyKey: string;
  caseId: string;
  responseId: string;
  kind: 'village' | 'police' | 'escalation' | 'reminder';
  body: Record<string, unknown>;
}

export type DeliveryResult = { ok: true; attempts: number; status?: number } | { ok: false; attempts: number; error: string };

/** A way to reach people or systems. Implementations retry on their own and never throw. */
export interface Channel {
  readonly name: string;
  send(n: Notification): Promise<DeliveryResult>;
}
