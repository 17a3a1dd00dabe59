import type { Recipient } from '../directory.ts';

/** One notification to a receiver (village app, police dispatch, SMS gateway, county bus). */
export interface Notification {
  /** Same on every retry and after a gateway restart: the receiver dedupes on it. */
  idempotencyKey: string;
  caseId: string;
  responseId: string;
  /** A digest carries several held notifications (rate limit) in `body.items`. */
  kind: 'village' | 'police' | 'escalation' | 'reminder' | 'digest';
  /** The person or squad the directory chose; absent when the channel routes on its own. */
  recipient?: Recipient;
  body: Record<string, unknown>;
}

export type DeliveryResult =
  | { ok: true; attempts: number; status?: number }
  | { ok: false; attempts: number; error: string };

/** A way to reach people or systems. Implementations retry on their own and never throw. */
export interface Channel {
  readonly name: string;
  /** `signal`: the gateway is stopping; give up (the response stays pending and resumes after the restart). */
  send(n: Notification, signal?: AbortSignal): Promise<DeliveryResult>;
}

/** The JSON a receiver gets (webhook body, county MQTT payload): the envelope fields, then the body. */
export function notificationJson(n: Notification): string {
  return JSON.stringify({
    idempotencyKey: n.idempotencyKey,
    caseId: n.caseId,
    responseId: n.responseId,
    kind: n.kind,
    ...(n.recipient ? { recipient: n.recipient } : {}),
    ...n.body,
  });
}
