import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { CredentialStore } from '../access/credential-store.ts';
import type { LocalBroker } from '../mqtt/gateway-client.ts';
import { GATEWAY_DEFAULTS } from '../config/defaults.ts';
import { counterOf, gaugeOf, type Metrics } from '../metrics.ts';
import type { PlaceOf } from './acl.ts';
import { BrokerAuth, type BrokerAuthStats, connectedClients } from './broker-auth.ts';
import { guardDeliveries } from './delivery-guard.ts';
import {
  DEFAULT_PACKET_LIMITS,
  dropIfOversize,
  limitPacketSize,
  type PacketLimitStats,
  type PacketLimits,
} from './packet-limits.ts';
import { SqlitePersistence } from './sqlite-persistence-store.ts';

export interface EmbeddedBrokerOptions {
  dataDir: string;
  /** broker.db is encrypted under a key derived from it. */
  storageKey: Buffer;
  host?: string;
  port?: number;
  tls?: { port: number; certFile: string; keyFile: string };
  credentials: CredentialStore;
  /** Where a box is, for per-delivery scope checks. */
  placeOf: PlaceOf;
  /** After a restart, seconds a box that was connected has to come back before its will is published. */
  willGraceSeconds?: number;
  limits?: Partial<PacketLimits>;
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * aedes inside the gateway: sessions, subscriptions, retained messages, wills and queued QoS 1
 * messages persist in SQLite (dataDir/broker.db), so persistent sessions survive a restart.
 */
export class EmbeddedBroker {
  aedes: Aedes | undefined;
  private auth: BrokerAuth | undefined;
  private servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private store: SqlitePersistence | undefined;
  private admitting = false;
  private willTimer: NodeJS.Timeout | undefined;
  private protocolRefused = 0;
  private readonly limitStats: PacketLimitStats = { oversizeClosed: 0, oversizeDropped: 0 };
  private readonly limits: PacketLimits;
  private readonly log: Logger | undefined;

  constructor(private readonly o: EmbeddedBrokerOptions) {
    this.log = o.logger?.child({ unit: 'broker' });
    this.limits = { ...DEFAULT_PACKET_LIMITS, ...o.limits };
    const m = o.metrics;
    if (m) {
      const stat = (k: keyof BrokerAuthStats) => () => this.auth?.stats[k] ?? 0;
      counterOf(m, 'rw_broker_auth_refused_total', 'Connections refused for bad credentials', stat('authRefused'));
      counterOf(
        m,
        'rw_broker_auth_throttled_total',
        'Connections refused while a name or address was locked after failed log-ins',
        stat('authThrottled'),
      );
      counterOf(m, 'rw_broker_publish_denied_total', 'Publishes refused by the topic ACL', stat('publishDenied'));
      counterOf(
        m,
        'rw_broker_subscribe_denied_total',
        'Subscriptions refused by the topic ACL',
        stat('subscribeDenied'),
      );
      counterOf(
        m,
        'rw_broker_forward_withheld_total',
        'Messages withheld from a subscriber outside its role or scope',
        stat('forwardWithheld'),
      );
      gaugeOf(m, 'rw_broker_clients', 'MQTT connections open', () => this.sockets.size);
      counterOf(
        m,
        'rw_broker_protocol_refused_total',
        'Connections refused for an MQTT version the embedded broker does not speak (it speaks 3.1.1)',
        () => this.protocolRefused,
      );
      counterOf(
        m,
        'rw_broker_oversize_closed_total',
        'Connections closed for sending more than allowed before log-in, or announcing a packet over every limit',
        () => this.limitStats.oversizeClosed,
      );
      counterOf(
        m,
        'rw_broker_oversize_dropped_total',
        'Publishes acknowledged and dropped for exceeding the limit of their kind (broker.limits)',
        () => this.limitStats.oversizeDropped,
      );
    }
  }

  get port(): number {
    return listeningPort(this.servers[0]);
  }

  get tlsPort(): number | undefined {
    return this.o.tls ? listeningPort(this.servers[1]) : undefined;
  }

  async start(): Promise<void> {
    this.store = new SqlitePersistence(this.o.dataDir, this.o.storageKey);
    const aedes = await Aedes.createBroker({ persistence: this.store as never });
    this.aedes = aedes;
    // aedes' emitter finishes a publish nobody listens to synchronously, and then starts the next
    // queued one in the same stack: a backlog of such publishes (commands to boxes that are away)
    // overflowed the stack. One listener that always answers on the next turn keeps it flat.
    aedes.subscribe(
      '#',
      (_packet: unknown, done: () => void) => setImmediate(done),
      () => {},
    );
    aedes.preConnect = (client, packet, done) => {
      // aedes answers MQTT 5 with "unacceptable protocol version" and says nothing more.
      if (packet.protocolVersion !== 4 && packet.protocolVersion !== 3) {
        this.protocolRefused++;
        this.log?.warn(
          { clientId: packet.clientId, protocolVersion: packet.protocolVersion },
          'a client speaks an MQTT version the embedded broker does not: set mqtt.protocolVersion: 4 in its edge.yaml (or use an external MQTT 5 broker)',
        );
      }
      guardDeliveries(client);
      done(null, true);
    };
    this.auth = new BrokerAuth(this.o.credentials, this.o.placeOf, this.log, () => this.admitting);
    this.auth.install(aedes);
    const authorizePublish = aedes.authorizePublish;
    aedes.authorizePublish = (client, packet, done) =>
      authorizePublish.call(aedes, client, packet, (e) => {
        const dropped = !e && client ? dropIfOversize(client, packet, this.limits) : undefined;
        if (dropped) {
          this.limitStats.oversizeDropped++;
          this.log?.warn(
            { clientId: client!.id, ...dropped },
            'dropped a publish over the size limit of its kind (broker.limits); the box was acknowledged',
          );
        }
        done(e);
      });
    aedes.on('clientError', (client, err) =>
      this.log?.debug({ clientId: client.id, err: err.message }, 'client error'),
    );
    const onSocket = (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      limitPacketSize(aedes.handle(s), this.limits, (why, bytes) => {
        this.limitStats.oversizeClosed++;
        this.log?.warn(
          { address: s.remoteAddress, why, bytes, limits: this.limits },
          why === 'login'
            ? 'closed a connection that sent too much before logging in'
            : 'closed a connection announcing a packet larger than any allowed',
        );
      });
    };
    // MQTT packets are small and each one matters now (an alarm, its PUBACK): no Nagle delay.
    this.servers.push(await listen(createServer({ noDelay: true }, onSocket), this.o.port ?? 1883, this.o.host));
    if (this.o.tls) {
      const tls = createTlsServer(
        { cert: readFileSync(this.o.tls.certFile), key: readFileSync(this.o.tls.keyFile), noDelay: true },
        onSocket,
      );
      this.servers.push(await listen(tls, this.o.tls.port, this.o.host));
    }
    this.log?.info({ port: this.port, tlsPort: this.tlsPort }, 'embedded MQTT broker listening');
  }

  get stats(): (BrokerAuthStats & PacketLimitStats) | undefined {
    return this.auth && { ...this.auth.stats, ...this.limitStats };
  }

  /** End every connection of an account (removed, or its password changed): it must log in again. */
  disconnect(username: string): number {
    if (!this.aedes || !this.auth) return 0;
    const clients = this.auth.clientsOf(this.aedes, username);
    for (const c of clients) c.close();
    if (clients.length)
      this.log?.info({ username, connections: clients.length }, 'account changed: its connections were ended');
    return clients.length;
  }

  /** The broker for an in-process subscriber (the gateway's own client). */
  local(): LocalBroker {
    const aedes = this.aedes;
    if (!aedes) throw new Error('the embedded broker is not started');
    return {
      subscribe: (filter, deliver, done) => aedes.subscribe(filter, deliver as never, done),
      unsubscribe: (filter, deliver, done) => aedes.unsubscribe(filter, deliver as never, done),
      unreleased: () => (this.store?.unreleased ?? []).filter((p) => p.cmd === undefined || p.cmd === 'publish'),
      publish: (topic, payload, retain) =>
        new Promise<void>((resolve, reject) =>
          aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false }, (e) =>
            e ? reject(e) : resolve(),
          ),
        ),
    };
  }

  /** Let devices in (operators are always admitted): call once everything that listens is ready. */
  admitDevices(): void {
    this.admitting = true;
    const graceMs = (this.o.willGraceSeconds ?? GATEWAY_DEFAULTS.willGraceSeconds) * 1000;
    this.willTimer = setTimeout(
      () =>
        void this.publishWillsOfAbsent().catch((e: Error) =>
          this.log?.error({ err: e.message }, 'could not publish the wills of boxes that did not come back'),
        ),
      graceMs,
    );
  }

  /**
   * The wills of clients connected before the restart that did not come back in the grace time: a
   * box that died while the gateway was down must show offline. (aedes publishes them only at its
   * will sweep, four heartbeats after start.) A box that came back has replaced its will.
   */
  private async publishWillsOfAbsent(): Promise<void> {
    const aedes = this.aedes;
    const store = this.store;
    if (!aedes || !store) return;
    let published = 0;
    for await (const will of store.streamWill({ [aedes.id]: Date.now() })) {
      const clientId = String(will.clientId);
      if (connectedClients(aedes)[clientId]) continue;
      await new Promise<void>((resolve, reject) => aedes.publish(will as never, (e) => (e ? reject(e) : resolve())));
      await store.delWill({ id: clientId });
      published++;
    }
    if (published)
      this.log?.info({ published }, 'published the wills of boxes that did not come back after the restart');
  }

  async stop(): Promise<void> {
    clearTimeout(this.willTimer);
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    if (this.aedes) {
      // A stop is not the boxes' death: aedes would publish every connected box's will. Their wills
      // stay stored, and after the next start only those of boxes that do not come back go out.
      for (const c of Object.values(connectedClients(this.aedes))) c.will = null;
      await new Promise<void>((resolve) => this.aedes!.close(() => resolve()));
    }
    for (const s of this.sockets) s.destroy();
    await Promise.all(closed);
    this.servers = [];
    await this.store?.destroy();
    this.store = undefined;
  }
}

function listen(server: Server, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(`MQTT port ${port} is already in use (another broker running? use --mqtt-port)`)
          : e,
      ),
    );
    server.listen(port, host, () => resolve(server));
  });
}

function listeningPort(server: Server | undefined): number {
  const address = server?.address();
  if (!address || typeof address === 'string') throw new Error('the MQTT broker is not listening');
  return address.port;
}
