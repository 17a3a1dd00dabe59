import { createMetrics, gaugeOf, type Metrics } from './metrics.ts';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createIdGenerator } from '../protocols/index.ts';
import { AccessLog } from './access/access-log-store.ts';
import { CredentialStore, GATEWAY_USER } from './access/credential-store.ts';
import { CredentialWatch } from './access/credential-watch.ts';
import { deviceAuthKey } from './access/device-auth-key.ts';
import { LoginGuard } from './access/login-throttle.ts';
import { accessRoutes, sessionCookie } from './access/routes.ts';
import { Sessions } from './access/session-store.ts';
import { ApiTokens } from './access/token-store.ts';
import { ScopeCheck } from './access/scope-query.ts';
import { SYSTEM, type Viewer } from './access/viewer.ts';
import { AlarmQuery } from './alarms/alarm-query.ts';
import { liveRoutes, LiveStreams, type LiveEvents } from './alarms/live-routes.ts';
import { alarmRoutes } from './alarms/routes.ts';
import { opsRoutes } from './api/ops-routes.ts';
import type { RouteDef } from './api/route.ts';
import { startApiServer } from './api/server.ts';
import { Archive } from './archive/archive-store.ts';
import { FaceIndex } from './archive/face-store.ts';
import { archiveRoutes } from './archive/routes.ts';
import { EmbeddedBroker } from './broker/embedded-broker.ts';
import { GATEWAY_DEFAULTS, type GatewayConfig } from './config/schema.ts';
import { ensureDashboard } from './dashboard/build.ts';
import { dashboardRoutes } from './dashboard/dashboard-routes.ts';
import { EvidenceQuery } from './evidence/evidence-query.ts';
import { EvidenceStore } from './evidence/evidence-store.ts';
import { evidenceRoutes } from './evidence/routes.ts';
import { Intake } from './intake/intake.ts';
import { IntakeStore } from './intake/intake-store.ts';
import { CommandSender } from './registry/command-sender.ts';
import { Commissioning } from './registry/commissioning.ts';
import { loadCountyMap, type MapArea } from './registry/county-map.ts';
import { DeviceQuery } from './registry/device-query.ts';
import { DeviceStore } from './registry/device-store.ts';
import { deviceRoutes } from './registry/routes.ts';
import { SelfTests } from './registry/selftest-store.ts';
import { ReportQuery } from './reports/report-query.ts';
import { reportRoutes } from './reports/routes.ts';
import { CaseStore } from './responses/case-store.ts';
import type { Channel } from './responses/channels/channel.ts';
import { createChannel } from './responses/channels/create-channel.ts';
import { Deliveries } from './responses/delivery-store.ts';
import { ResponseEngine } from './responses/response-engine.ts';
import { caseRoutes } from './responses/routes.ts';
import { openDatabase } from './store/database.ts';
import { loadOrCreateKey } from './store/key-file.ts';
import { FaultWatcher } from './tickets/fault-watcher.ts';
import { ticketRoutes } from './tickets/routes.ts';
import { TicketStore } from './tickets/ticket-store.ts';

export interface GatewayOptions {
  config?: GatewayConfig;
  /** Command-line overrides, as operators and tests use them. */
  mqttPort?: number;
  httpPort?: number;
  dataDir?: string;
  logger?: Logger;
}

export type { LiveEvents };

/** The county centre. main wires its units; each has start/stop. */
export class Gateway {
  readonly db: Database.Database;
  readonly credentials: CredentialStore;
  /** The embedded broker; undefined when `broker.url` names an external one. */
  readonly broker: EmbeddedBroker | undefined;
  readonly dataDir: string;
  readonly cases: CaseStore;
  readonly registry: DeviceStore;
  readonly archive: Archive;
  /** What the dashboard follows live: alarms as they arrive, cases opened, responses moved. */
  readonly live = new EventEmitter<LiveEvents>();
  /** Prometheus metrics: each part registers its own on this registry; `/metrics` serves it. */
  readonly metrics: Metrics = createMetrics();
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
  /** Commands and desired configuration for boxes, as the gateway. */
  readonly commands: CommandSender;
  /** Every HTTP route with its access rule (the generated scope test walks it). */
  readonly routes: RouteDef[];
  http: FastifyInstance | undefined;
  /** The built dashboard being served, if any. */
  dashboardDir?: string;
  private readonly httpPortWanted: number;
  /** The county's outlines for the dashboard's map (config map.geojson). */
  readonly map?: MapArea[];
  intake: Intake | undefined;
  responses: ResponseEngine | undefined;
  /** Notification records and rate limits; undefined without response plans. */
  deliveries: Deliveries | undefined;
  private readonly log: Logger | undefined;
  readonly config: GatewayConfig;
  private readonly newId = createIdGenerator();
  private readonly watch: CredentialWatch;
  private readonly streams = new LiveStreams();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(o: GatewayOptions) {
    this.log = o.logger;
    this.config = o.config ?? {};
    const c = o.config ?? {};
    this.dataDir = o.dataDir ?? c.dataDir ?? GATEWAY_DEFAULTS.dataDir;
    this.db = openDatabase(this.dataDir);
    this.credentials = new CredentialStore(this.db, deviceAuthKey(this.dataDir));
    this.cases = new CaseStore(this.db, this.newId);
    this.tokens = new ApiTokens(this.db);
    this.sessions = new Sessions(this.db);
    this.registry = new DeviceStore(this.db);
    this.archive = new Archive(this.db);
    this.accessLog = new AccessLog(this.db);
    this.selftests = new SelfTests(this.db);
    this.commissioning = new Commissioning(this.db, this.credentials, this.registry);
    this.tickets = new TicketStore(this.db, this.newId);
    this.faults = new FaultWatcher({ store: this.tickets, registry: this.registry, selftests: this.selftests, config: c.tickets, logger: o.logger });
    this.map = c.map ? loadCountyMap(c.map.geojson) : undefined;
    const evidenceKey = loadOrCreateKey(c.evidence?.keyFile ?? join(this.dataDir, 'evidence.key'));
    this.evidence = new EvidenceStore(this.db, join(this.dataDir, 'evidence'), evidenceKey);
    this.faces = new FaceIndex(this.db, evidenceKey);
    this.commands = new CommandSender((t, p, retain) => this.publish(t, p, retain), this.newId);
    this.httpPortWanted = o.httpPort ?? c.http?.port ?? GATEWAY_DEFAULTS.httpPort;
    this.broker = c.broker?.url ? undefined : new EmbeddedBroker({
      dataDir: this.dataDir,
      host: c.broker?.host ?? GATEWAY_DEFAULTS.brokerHost,
      port: o.mqttPort ?? c.broker?.port ?? GATEWAY_DEFAULTS.brokerPort,
      tls: c.broker?.tls,
      credentials: this.credentials,
      placeOf: (id) => this.registry.placeOf(id),
      logger: o.logger,
      metrics: this.metrics,
    });
    gaugeOf(this.metrics, 'rw_devices_online', 'Devices whose last status is online', () => this.registry.countOnline());
    gaugeOf(this.metrics, 'rw_cases_open', 'Cases not yet closed', () => this.cases.countOpen());
    this.watch = new CredentialWatch(this.credentials, (name) => this.broker?.disconnect(name) ?? 0, 500, o.logger);
    this.routes = this.routeTable();
  }

  async start(): Promise<void> {
    const b = this.config.broker;
    let mqtt: { url: string; username?: string; password?: string; clientId?: string };
    if (this.broker) {
      await this.broker.start();
      // Intake talks MQTT like any client, so the same code serves an external broker. Its account
      // is made at the first start with a random password kept beside the data (mode 600).
      const password = loadOrCreateKey(join(this.dataDir, 'gateway-client.key'), 'gateway client key').toString('base64url');
      if (!(await this.credentials.verify(GATEWAY_USER, password))) await this.credentials.addOperator(GATEWAY_USER, password, 'gateway');
      mqtt = { url: `mqtt://127.0.0.1:${this.broker.port}`, username: GATEWAY_USER, password, clientId: `${GATEWAY_USER}:intake` };
    } else {
      mqtt = { url: b!.url!, username: b?.username, password: b?.password, clientId: b?.clientId };
    }
    this.watch.start();
    this.intake = new Intake({ ...mqtt, store: new IntakeStore(this.db, this.faces), images: this.evidence, logger: this.log, metrics: this.metrics });
    this.intake.on('telemetry', (m) => this.faults.onTelemetry(m));
    this.intake.on('event', (ev) => ev.severity === 'alarm' && this.live.emit('alarm', { id: ev.id, deviceId: ev.deviceId }));
    this.intake.on('status', (m) => this.faults.onStatus(m));
    await this.intake.start();
    this.faults.start();
    const rc = this.config.responses;
    if (rc) {
      const channels = new Map<string, Channel>(
        Object.entries(rc.channels).map(([name, c]) => [name, createChannel(name, c, { publish: (t, p) => this.publish(t, p), logger: this.log })]),
      );
      const limits = new Map(Object.entries(rc.channels).flatMap(([name, c]) => (c.perRecipientPerHour ? [[name, c.perRecipientPerHour] as [string, number]] : [])));
      const deliveries = new Deliveries(this.db, channels, limits, () => new Date(), this.metrics);
      this.deliveries = deliveries;
      const places = { device: (id: string) => this.registry.get(id), neighbours: (id: string, m: number) => this.registry.neighbours(id, m) };
      const lookupPlate = (plate: string) => {
        const m = this.archive.lookup(SYSTEM, plate);
        return m && { plate: m.plate, confidence: m.confidence, match: m.reason, id: m.vehicle.id, class: m.vehicle.class, owner: m.vehicle.ownerName, village: m.vehicle.village, township: m.vehicle.township };
      };
      const engine = new ResponseEngine({ config: rc, cases: this.cases, deliveries, places, publish: (t, p) => this.publish(t, p), newId: this.newId, lookupPlate, logger: this.log, metrics: this.metrics });
      this.intake.on('event', (ev) => void engine.onAlarm(ev).catch((e: Error) => this.log?.error({ err: e.message, eventId: ev.id }, 'could not open a case')));
      this.intake.on('command_result', (r) => engine.onCommandResult(r));
      engine.on('case', (c: { id: string; deviceId: string }) => this.live.emit('case', { id: c.id, deviceId: c.deviceId }));
      engine.on('change', (r: { id: string; caseId: string; kind: string; state: string }) => this.live.emit('response', { id: r.id, caseId: r.caseId, kind: r.kind, state: r.state }));
      engine.start();
      this.responses = engine;
    }
    this.housekeeping();
    this.sweepTimer = setInterval(() => this.housekeeping(), 6 * 3_600_000).unref();
    const dashboardDir = (this.dashboardDir = await this.dashboard());
    this.http = await startApiServer({
      routes: [...this.routes, ...(dashboardDir ? dashboardRoutes(dashboardDir) : [])],
      authenticate: (req) => this.authenticate(req),
      host: this.config.http?.host ?? GATEWAY_DEFAULTS.httpHost,
      port: this.httpPortWanted,
      logger: this.log,
      tls: this.config.http?.tls,
      beforeClose: () => this.streams.endAll(),
    });
    this.broker?.admitDevices();
  }

  /** Scripts send a bearer token; the dashboard's browser sends its session cookie. */
  private authenticate(req: FastifyRequest): Viewer | undefined {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return m ? this.tokens.check(m[1]) : this.sessions.check(sessionCookie(req));
  }

  private routeTable(): RouteDef[] {
    const scope = new ScopeCheck(this.db);
    const evidence = new EvidenceQuery(this.db, this.evidence);
    const alarms = new AlarmQuery(this.db);
    const accessLog = this.accessLog;
    return [
      ...opsRoutes({
        health: () => ({ mqttPort: this.broker?.port, intake: this.intake?.stats, broker: this.broker?.stats ?? 'external' }),
        metrics: this.metrics,
      }),
      ...accessRoutes({ credentials: this.credentials, sessions: this.sessions, accessLog, logins: new LoginGuard() }),
      ...alarmRoutes({ alarms, accessLog }),
      ...liveRoutes({ live: this.live, scope }, this.streams),
      ...reportRoutes({ reports: new ReportQuery(this.db, this.config.reports?.utcOffsetHours ?? GATEWAY_DEFAULTS.reportsUtcOffsetHours), accessLog }),
      ...deviceRoutes({
        devices: new DeviceQuery(this.db, this.selftests),
        registry: this.registry,
        commissioning: this.commissioning,
        tickets: this.tickets,
        commands: this.commands,
        signer: (name) => this.tokens.signer(name),
        map: this.map,
      }),
      ...ticketRoutes({ tickets: this.tickets, faults: this.faults, selftests: this.selftests }),
      ...caseRoutes({
        cases: this.cases,
        alarms,
        archive: this.archive,
        faces: this.faces,
        evidence,
        accessLog,
        engine: () => (this.responses && this.deliveries ? { engine: this.responses, deliveries: this.deliveries } : undefined),
      }),
      ...archiveRoutes({ archive: this.archive, accessLog }),
      ...evidenceRoutes({ evidence, accessLog }),
    ];
  }

  /** Publish as the gateway (QoS 1): commands, desired config, county notifications. */
  private async publish(topic: string, payload: Buffer, retain = false): Promise<void> {
    if (!this.intake) throw new Error('gateway is not started');
    await this.intake.publish(topic, payload, retain);
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
    this.watch.stop();
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
