import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { ApiTokens } from './api/api-tokens.ts';
import { AccessLog } from './api/access-log.ts';
import { startHttpApi } from './api/http-api.ts';
import type { Logger } from 'pino';
import { EmbeddedBroker } from './broker/embedded-broker.ts';
import { GATEWAY_DEFAULTS, type GatewayConfig } from './config/schema.ts';
import { Intake } from './intake/intake.ts';
import { IntakeStore } from './intake/intake-store.ts';
import { CredentialStore } from './registry/credentials.ts';
import { Registry } from './registry/registry.ts';
import { Archive } from './archive/archive.ts';
import { FaceIndex } from './archive/face-index.ts';
import { Sessions } from './api/sessions.ts';
import { loadCountyMap, type MapArea } from './registry/county-map.ts';
import { ensureDashboard } from './dashboard/build.ts';
import { CaseStore } from './responses/case-store.ts';
import type { Channel } from './responses/channels/channel.ts';
import { createChannel } from './responses/channels/create-channel.ts';
import { ResponseEngine } from './responses/response-engine.ts';
import { Deliveries } from './responses/deliveries.ts';
import { createIdGenerator, encodeMessage, topics, type CommandMessage, type CommandName, type CommandParams } from '../protocols/index.ts';
import { openDatabase } from './store/database.ts';
import { EvidenceStore } from './evidence/evidence-store.ts';
import { loadOrCreateKey } from './evidence/evidence-key.ts';
import { join } from 'node:path';
import { SelfTests } from './registry/selftests.ts';
import { Commissioning } from './registry/commissioning.ts';
import { TicketStore } from './tickets/ticket-store.ts';
import { FaultWatcher } from './tickets/fault-watcher.ts';

export interface GatewayOptions {
  config?: GatewayConfig;
  /** Command-line overrides, as operators and tests use them. */
  mqttPort?: number;
  httpPort?: number;
  dataDir?: string;
  logger?: Logger;
}

const INTAKE_USER = 'roadwarden-intake';

/** What the dashboard's live stream carries: ids only; the page fetches rows through the API. */
export interface LiveEvents {
  alarm: [{ id: string; deviceId: string }];
  case: [{ id: string; deviceId: string }];
  response: [{ id: string; caseId: string; kind: string; state: string }];
}

/** The county centre. main wires its units; each has start/stop. */
export class Gateway {
  readonly db: Database.Database;
  readonly credentials: CredentialStore;
  /** The embedded broker; undefined when `broker.url` names an external one. */
  readonly broker: EmbeddedBroker | undefined;
  readonly dataDir: string;
  readonly cases: CaseStore;
  readonly registry: Registry;
  readonly archive: Archive;
  /** What the dashboard follows live: alarms as they arrive, cases opened, responses moved. */
  readonly live = new EventEmitter<LiveEvents>();
  /** Dashboard log-ins (cookie sessions). */
  readonly sessions: Sessions;
  /** Drivers' face descriptors (encrypted), for tracing vehicles whose plate was not read. */
  readonly faces: FaceIndex;
  readonly tokens: ApiTokens;
  readonly evidence: EvidenceStore;
  readonly accessLog: AccessLog;
  readonly selftests: SelfTests;
  readonly commissioning: Commissioning;
  readonly tickets: TicketStore;
  readonly faults: FaultWatcher;
  http: FastifyInstance | undefined;
  private readonly httpPortWanted: number;
  /** The county's outlines for the dashboard's map (config map.geojson). */
  readonly map?: MapArea[];
  /** The built dashboard being served, if any. */
  dashboardDir?: string;
  intake: Intake | undefined;
  responses: ResponseEngine | undefined;
  /** Notification records and rate limits; undefined without response plans. */
  deliveries: Deliveries | undefined;
  private readonly log: Logger | undefined;
  readonly config: GatewayConfig;
  private readonly newId = createIdGenerator();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(o: GatewayOptions) {
    this.log = o.logger;
    this.config = o.config ?? {};
    const c = o.config ?? {};
    this.dataDir = o.dataDir ?? c.dataDir ?? GATEWAY_DEFAULTS.dataDir;
    this.db = openDatabase(this.dataDir);
    this.credentials = new CredentialStore(this.db);
    this.cases = new CaseStore(this.db, this.newId);
    this.tokens = new ApiTokens(this.db);
    this.sessions = new Sessions(this.db);
    this.registry = new Registry(this.db);
    this.archive = new Archive(this.db);
    this.accessLog = new AccessLog(this.db);
    this.selftests = new SelfTests(this.db);
    this.commissioning = new Commissioning(this.db, this.credentials, this.registry);
    this.tickets = new TicketStore(this.db, this.newId);
    this.faults = new FaultWatcher({ store: this.tickets, registry: this.registry, selftests: this.selftests, db: this.db, config: c.tickets, logger: o.logger });
    this.map = c.map ? loadCountyMap(c.map.geojson) : undefined;
    const evidenceKey = loadOrCreateKey(c.evidence?.keyFile ?? join(this.dataDir, 'evidence.key'));
    this.evidence = new EvidenceStore(this.db, join(this.dataDir, 'evidence'), evidenceKey);
    this.faces = new FaceIndex(this.db, evidenceKey);
    this.httpPortWanted = o.httpPort ?? c.http?.port ?? GATEWAY_DEFAULTS.httpPort;
    this.broker = c.broker?.url ? undefined : new EmbeddedBroker({
      dataDir: this.dataDir,
      host: c.broker?.host ?? GATEWAY_DEFAULTS.brokerHost,
      port: o.mqttPort ?? c.broker?.port ?? GATEWAY_DEFAULTS.brokerPort,
      tls: c.broker?.tls,
      credentials: this.credentials,
      logger: o.logger,
    });
  }

  async start(): Promise<void> {
    const b = this.config.broker;
    let mqtt: { url: string; username?: string; password?: string; clientId?: string };
    if (this.broker) {
      await this.broker.start();
      // Intake talks MQTT like any client, so the same code serves an external broker.
      // Its embedded account gets a fresh random password at every start; nobody needs to know it.
      const password = randomBytes(24).toString('base64url');
      await this.credentials.addOperator(INTAKE_USER, password, 'gateway');
      mqtt = { url: `mqtt://127.0.0.1:${this.broker.port}`, username: INTAKE_USER, password };
    } else {
      mqtt = { url: b!.url!, username: b?.username, password: b?.password, clientId: b?.clientId };
    }
    this.intake = new Intake({ ...mqtt, store: new IntakeStore(this.db, this.faces), images: this.evidence, logger: this.log });
    this.intake.on('telemetry', (m) => this.faults.onTelemetry(m));
    this.intake.on('event', (ev) => ev.severity === 'alarm' && this.live.emit('alarm', { id: ev.id, deviceId: ev.deviceId }));
    this.intake.on('status', (m) => this.faults.onStatus(m));
    await this.intake.start();
    this.faults.start();
    const rc = this.config.responses;
    if (rc) {
      const intake = this.intake;
      const channels = new Map<string, Channel>(
        Object.entries(rc.channels).map(([name, c]) => [name, createChannel(name, c, { publish: (t, p) => intake.publish(t, p), logger: this.log })]),
      );
      const limits = new Map(Object.entries(rc.channels).flatMap(([name, c]) => (c.perRecipientPerHour ? [[name, c.perRecipientPerHour] as [string, number]] : [])));
      const deliveries = new Deliveries(this.db, channels, limits, () => new Date());
      this.deliveries = deliveries;
      const places = { device: (id: string) => this.registry.get(id), neighbours: (id: string, m: number) => this.registry.neighbours(id, m) };
      const lookupPlate = (plate: string) => {
        const m = this.archive.lookup(plate);
        return m && { plate: m.plate, confidence: m.confidence, match: m.reason, id: m.vehicle.id, class: m.vehicle.class, owner: m.vehicle.ownerName, village: m.vehicle.village, township: m.vehicle.township };
      };
      const engine = new ResponseEngine({ config: rc, cases: this.cases, deliveries, places, publish: (t, p) => intake.publish(t, p), newId: this.newId, lookupPlate, logger: this.log });
      intake.on('event', (ev) => void engine.onAlarm(ev).catch((e: Error) => this.log?.error({ err: e.message, eventId: ev.id }, 'could not open a case')));
      intake.on('command_result', (r) => engine.onCommandResult(r));
      engine.on('case', (c: { id: string; deviceId: string }) => this.live.emit('case', { id: c.id, deviceId: c.deviceId }));
      engine.on('change', (r: { id: string; caseId: string; kind: string; state: string }) => this.live.emit('response', { id: r.id, caseId: r.caseId, kind: r.kind, state: r.state }));
      engine.start();
      this.responses = engine;
    }
    this.housekeeping();
    this.sweepTimer = setInterval(() => this.housekeeping(), 6 * 3_600_000).unref();
    this.dashboardDir = await this.dashboard();
    this.http = await startHttpApi({ gateway: this, tokens: this.tokens, host: this.config.http?.host, port: this.httpPortWanted, logger: this.log, dashboardDir: this.dashboardDir, tls: this.config.http?.tls });
    this.broker?.admitDevices();
  }

  /** Desired configuration for a box, retained on its config topic; the box reports the version it applied. */
  async pushConfig(deviceId: string, version: number, config: Record<string, unknown>): Promise<void> {
    if (!this.intake) throw new Error('gateway is not started');
    const msg = { v: 1 as const, id: this.newId(), deviceId, ts: new Date().toISOString(), version, config };
    await this.intake.publish(topics.config(deviceId), encodeMessage('config', msg), true);
  }

  /** A command to one box (QoS 1, held for it while it is away until `expiresInS`); returns its id. */
  async sendCommand<N extends CommandName>(deviceId: string, name: N, params: CommandParams<N>, expiresInS = 600): Promise<string> {
    if (!this.intake) throw new Error('gateway is not started');
    const now = new Date();
    const msg = { v: 1 as const, id: this.newId(), deviceId, ts: now.toISOString(), expiresAt: new Date(now.getTime() + expiresInS * 1000).toISOString(), name, params } as CommandMessage;
    await this.intake.publish(topics.command(deviceId, name), encodeMessage('command', msg));
    return msg.id;
  }

  /** The built dashboard, or undefined (turned off, or the build failed: the API still serves). */
  private async dashboard(): Promise<string | undefined> {
    if (this.config.http?.dashboard === false) return undefined;
    try {
      const d = await ensureDashboard();
      if (d.built) this.log?.info({ ms: d.ms, dir: d.dir }, 'dashboard built');
      return d.dir;
    } catch (e) {
      this.log?.error({ err: (e as Error).message }, 'the dashboard could not be built; the API runs without it');
      return undefined;
    }
  }

  /** Evidence and face descriptors past retention, expired dashboard log-ins. */
  private housekeeping(): void {
    this.sessions.sweep();
    const days = this.config.evidence?.retentionDays ?? GATEWAY_DEFAULTS.evidenceRetentionDays;
    const n = this.evidence.sweep(days);
    const faces = this.faces.sweep(days);
    if (n || faces) this.log?.info({ removed: n, faces, retentionDays: days }, 'evidence past retention removed');
  }

  get httpPort(): number {
    return (this.http?.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.faults.stop();
    await this.http?.close();
    this.responses?.stop();
    // Intake first, while the broker can still acknowledge what intake sent; its session is
    // persistent, so reports arriving after it left wait in the broker's store for the next start.
    await this.intake?.stop();
    await this.broker?.stop();
    this.db.close();
  }
}
