import type { Channel, DeliveryResult } from './channel.ts';

/**
 * The dashboard as the only way to reach people (the default plan, or a county that works from
 * the dashboard alone): the response is on every signed-in page of that role at once, through the
 * live stream, so "sent" needs nothing more; it waits there until someone acknowledges it.
 */
export class DashboardChannel implements Channel {
  constructor(readonly name: string) {}

  async send(): Promise<DeliveryResult> {
    return { ok: true, attempts: 1 };
  }
}
