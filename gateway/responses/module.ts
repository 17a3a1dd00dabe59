import { checkImage, sha256Hex } from '../../protocols/index.ts';
import type { AccessModule } from '../access/module.ts';
import { AlarmQuery } from '../alarms/alarm-query.ts';
import type { RouteDef } from '../api/route.ts';
import type { ArchiveModule } from '../archive/module.ts';
import { SYSTEM } from '../access/viewer.ts';
import type { GatewayContext } from '../context.ts';
import type { DevicesModule } from '../devices/module.ts';
import type { EvidenceModule } from '../evidence/module.ts';
import { gaugeOf } from '../metrics.ts';
import type { GatewayModule } from '../module.ts';
import { CaseStore } from './case-store.ts';
import type { Channel } from './channels/channel.ts';
import { createChannel } from './channels/create-channel.ts';
import { describeResponses, responsesInForce, uncoveredKinds } from './default-plan.ts';
import { Deliveries } from './delivery-store.ts';
import { OnsiteStore } from './onsite-store.ts';
import { ResponseEngine } from './response-engine.ts';
import { caseRoutes } from './routes.ts';

export interface ResponsesDeps {
  access: AccessModule;
  devices: DevicesModule;
  archive: ArchiveModule;
  evidence: EvidenceModule;
}

/**
 * 一报警三响应: cases and their three responses, by the county's plans or, without `responses:` in
 * the config, by the default plan (people told on the dashboard only).
 */
export class ResponsesModule implements GatewayModule {
  readonly name = 'responses';
  cases!: CaseStore;
  /** Undefined until started. */
  engine: ResponseEngine | undefined;
  /** Aborted at stop: notifications in flight give up (they resume after the restart). */
  private stopping = new AbortController();
  /** Settles when the alarms a stop left without a case have theirs (after start). */
  reconciled: Promise<void> = Promise.resolve();
  deliveries: Deliveries | undefined;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly deps: ResponsesDeps,
  ) {}

  async start(): Promise<void> {
    const { sql, newId, config, metrics, bus, log, clock, mqtt } = this.ctx;
    this.cases = new CaseStore(sql, newId, clock);
    gaugeOf(metrics, 'rw_cases_open', 'Cases not yet closed', () => this.cases.countOpen());
    const inForce = responsesInForce(config);
    const rc = inForce.plans;
    log.info({ defaultPlan: inForce.isDefault, uncovered: uncoveredKinds(rc) }, describeResponses(inForce));
    const publish = (t: string, p: Buffer) => mqtt.publish(t, p);
    const channels = new Map<string, Channel>(
      Object.entries(rc.channels).map(([name, c]) => [name, createChannel(name, c, { publish, logger: log })]),
    );
    const limits = new Map(
      Object.entries(rc.channels).flatMap(([name, c]) =>
        'perRecipientPerHour' in c && c.perRecipientPerHour ? [[name, c.perRecipientPerHour] as [string, number]] : [],
      ),
    );
    this.stopping = new AbortController();
    const deliveries = (this.deliveries = new Deliveries(sql, channels, limits, clock, metrics, this.stopping.signal));
    const { registry } = this.deps.devices;
    const engine = new ResponseEngine({
      config: rc,
      cases: this.cases,
      deliveries,
      onsite: new OnsiteStore(sql),
      places: {
        device: (id) => registry.place(id),
        neighbours: (id, m) => registry.neighbours(id, m),
      },
      publish,
      newId,
      lookupPlate: (plate) => this.lookupPlate(plate),
      now: clock,
      worker: this.ctx.worker,
      logger: log,
      metrics,
    });
    // Listening before the gateway's client connects: a backlog delivered with the CONNACK finds us.
    bus.on(
      'event',
      (ev) =>
        void engine
          .onAlarm(ev)
          .catch((e: Error) => log.error({ err: e.message, eventId: ev.id }, 'could not open a case')),
    );
    bus.on('command_result', (r) => engine.onCommandResult(r));
    engine.on('case', (c: { id: string; deviceId: string }) => bus.emit('case', { id: c.id, deviceId: c.deviceId }));
    engine.on('change', (r: { id: string; caseId: string; kind: string; state: string }) =>
      bus.emit('response', { id: r.id, caseId: r.caseId, kind: r.kind, state: r.state }),
    );
    await engine.start();
    this.engine = engine;
    // Once every module runs (dispatching needs the gateway's client): alarms a stop left without a case.
    this.reconciled = new Promise((resolve) =>
      bus.once(
        'started',
        () =>
          void engine
            .reconcile(rc.reconcileWithinH)
            .catch((e: Error) => log.error({ err: e.message }, 'could not reconcile stored alarms'))
            .then(() => resolve()),
      ),
    );
  }

  private async lookupPlate(plate: string) {
    const m = await this.deps.archive.archive.lookup(SYSTEM, plate);
    const v = m?.vehicle;
    return (
      m &&
      v && {
        plate: m.plate,
        confidence: m.confidence,
        match: m.reason,
        id: v.id,
        class: v.class,
        owner: v.ownerName,
        village: v.village,
        township: v.township,
      }
    );
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.engine?.stop();
  }

  routes(): RouteDef[] {
    const { archive, faces } = this.deps.archive;
    return caseRoutes({
      cases: this.cases,
      alarms: new AlarmQuery(this.ctx.sql),
      archive,
      faces,
      evidence: this.deps.evidence.query,
      accessLog: this.deps.access.accessLog,
      plans: () => responsesInForce(this.ctx.config),
      engine: () => (this.engine && this.deliveries ? { engine: this.engine, deliveries: this.deliveries } : undefined),
      keepPhoto: async (jpeg, deviceId) => {
        const sha = sha256Hex(jpeg);
        const c = checkImage(sha, jpeg);
        if (!c.ok) throw Object.assign(new Error(`the photo: ${c.error.message}`), { code: 'bad_photo' });
        await this.deps.evidence.store.put(deviceId, sha, jpeg);
        return sha;
      },
    });
  }
}
