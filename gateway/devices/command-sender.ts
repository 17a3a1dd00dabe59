import {
  encodeMessage,
  topics,
  type CommandMessage,
  type CommandName,
  type CommandParams,
  type IdGenerator,
} from '../../protocols/index.ts';

export type Publish = (topic: string, payload: Buffer, retain?: boolean) => Promise<void>;

/** Commands and desired configuration for boxes, published as the gateway (QoS 1). */
export class CommandSender {
  constructor(
    private readonly publish: Publish,
    private readonly newId: IdGenerator,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A command to one box, held for it while it is away until `expiresInS`; returns its id. */
  async send<N extends CommandName>(
    deviceId: string,
    name: N,
    params: CommandParams<N>,
    expiresInS = 600,
  ): Promise<string> {
    const now = this.now();
    const msg = {
      v: 1 as const,
      id: this.newId(),
      deviceId,
      ts: now.toISOString(),
      expiresAt: new Date(now.getTime() + expiresInS * 1000).toISOString(),
      name,
      params,
    } as CommandMessage;
    await this.publish(topics.command(deviceId, name), encodeMessage('command', msg));
    return msg.id;
  }

  /** Desired configuration, retained on the box's config topic; the box reports the version it applied. */
  async pushConfig(deviceId: string, version: number, config: Record<string, unknown>): Promise<void> {
    const msg = { v: 1 as const, id: this.newId(), deviceId, ts: this.now().toISOString(), version, config };
    await this.publish(topics.config(deviceId), encodeMessage('config', msg), true);
  }
}
