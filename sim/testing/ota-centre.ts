import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type CommandName,
  createIdGenerator,
  type OtaStatusMessage,
  type StatusMessage,
  topics,
} from '../../protocols/index.ts';
import { startTestBroker, type TestBroker } from './aedes-broker.ts';
import { until } from './until.ts';

const newId = createIdGenerator();

export interface CommandResultSeen {
  commandId: string;
  ok: boolean;
  code?: string;
  message?: string;
  data?: Record<string, unknown>;
}

/**
 * What a box's update tests stand on, as the gateway would be for one box: a broker, an HTTP
 * server of the bundles in `served` (nothing else), and the centre's MQTT client, which sends
 * commands and keeps what the box says — its update states, births and command results.
 */
export class OtaCentre {
  readonly ota: OtaStatusMessage[] = [];
  readonly births: StatusMessage[] = [];
  readonly results: CommandResultSeen[] = [];
  /** other topics subscribed to, with what came on them */
  readonly seen: Array<{ topic: string; message: unknown }> = [];

  private constructor(
    readonly box: string,
    readonly broker: TestBroker,
    private readonly server: Server,
    readonly port: number,
    private readonly client: MqttClient,
  ) {}

  static async start(o: { box: string; password: string; served: string; topics?: string[] }): Promise<OtaCentre> {
    const server = createServer((req, res) => {
      const f = join(o.served, (req.url ?? '/').slice(1));
      if (!/^\/[\w.+-]+\.tar\.gz$/.test(req.url ?? '') || !existsSync(f)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(f));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const broker = await startTestBroker({ users: { [o.box]: o.password, centre: 'centre-secret' } });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: 'centre',
      username: 'centre',
      password: 'centre-secret',
    });
    const c = new OtaCentre(o.box, broker, server, port, client);
    await client.subscribeAsync(
      [topics.ota(o.box), topics.status(o.box), `rw/v1/${o.box}/cmd/+/result`, ...(o.topics ?? [])],
      { qos: 1 },
    );
    client.on('message', (topic, payload) => {
      const m = JSON.parse(payload.toString());
      if (topic === topics.ota(o.box)) c.ota.push(m);
      else if (topic === topics.status(o.box)) {
        if (m.state === 'online') c.births.push(m);
      } else if (topic.endsWith('/result')) c.results.push(m);
      else c.seen.push({ topic, message: m });
    });
    return c;
  }

  /** Where the box downloads a served file from. */
  url(file: string): string {
    return `http://127.0.0.1:${this.port}/${file}`;
  }

  /** Send the box a command as the gateway does; returns its id. */
  command(name: CommandName, params: unknown): string {
    const id = newId();
    this.client.publish(
      topics.command(this.box, name),
      JSON.stringify({ v: 1, id, deviceId: this.box, ts: new Date().toISOString(), name, params }),
      { qos: 1 },
    );
    return id;
  }

  /** update_agent with a signed bundle, then the box's states for it up to one of `ends`. */
  async update(b: { signed: unknown; url: string }, rollout: string, ends: OtaStatusMessage['state'][], ms = 90_000) {
    const id = this.command('update_agent', { bundle: b.signed, url: b.url, rollout });
    await until(
      () => this.ota.some((m) => m.rollout === rollout && ends.includes(m.state)),
      ms,
      `the end of ${rollout}`,
    );
    return { id, states: this.ota.filter((m) => m.rollout === rollout) };
  }

  /** The box's result for a command: it comes on its own topic, so it may follow the last OTA state a moment later. */
  async result(id: string, ms = 10_000) {
    await until(() => this.results.some((x) => x.commandId === id), ms, `the result of command ${id}`);
    return this.results.find((x) => x.commandId === id);
  }

  async stop(): Promise<void> {
    await this.client.endAsync();
    await this.broker.close();
    this.server.close();
  }
}
