import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  checker,
  DeviceFactory,
  runSelfTest,
  type Camera,
  type HealthState,
  type Loudspeaker,
  type PresenceSensor,
  type SerialBinding,
  type WarningLight,
} from '../hardware/index.ts';
import {
  createIdGenerator,
  decodeMessage,
  encodeMessage,
  manifestHash,
  sha256Hex,
  topics,
  type AlarmKind,
  type EvidenceManifest,
  type EventData,
  type EventMessage,
  type IdGenerator,
  type MessageKind,
  type MessageOf,
  type OtaState,
  type SelfTestReport,
  makePrivateDir,
  PRODUCT_VERSION,
  type CommandParams,
  type DriverHealth,
} from '../protocols/index.ts';
import { Actuators } from './actuators.ts';
import { CommandHandler, type Outcome } from './commands/command-handler.ts';
import { VoiceStore } from './commands/voice-store.ts';
import { type EdgeConfig, edgeDataDir } from './config/schema.ts';
import { ControlSocket, controlSocketPath, type SelfTestHooks, type SelfTestRequest } from './control-socket.ts';
import { MqttLink } from './mqtt-link.ts';
import { Outbox, type OutboxClass } from './outbox.ts';
import { inWindow } from './rules/quiet-hours.ts';
import { RuleEngine, type Firing } from './rules/rule-engine.ts';
import { Scheduler } from './schedule/scheduler.ts';
import { TelemetryBuilder } from './telemetry.ts';
import { checkClock } from './selftest/clock-check.ts';
import { selfTestReport } from './selftest/report.ts';
import { VisionUnit } from './vision/vision-unit.ts';
import { installCandidate, UpdateError } from './ota/candidate-install.ts';
import type { InstalledParts } from './ota/installed-parts.ts';
import { updateTarget } from './ota/update-target.ts';
import type { TrialRequest, TrialSubject } from './ota/trial.ts';
import { takeUpdateOutcome } from './ota/update-outcome.ts';

export const FIRMWARE = `roadwarden-edge/${PRODUCT_VERSION}`;

export interface EdgeAgentOptions {
  config: EdgeConfig;
  logger?: Logger;
  /** Serial binding for the drivers (tests pass the mock binding). */
  binding?: SerialBinding;
  now?: () => Date;
  /**
   * Called once an update is installed beside this version: the owner of the process (`roadwarden
   * edge`) stops the agent and tries the new version. Without it, updates are refused.
   */
  onUpdateReady?: (req: TrialRequest) => void;
  /** The models and config template this config was put together with (edge/ota/installed-parts.ts). */
  parts?: InstalledParts;
  /** edge.yaml as written, before the installed template: what a new template is checked against */
  baseConfig?: EdgeConfig;
  /** edge.yaml's path, for messages */
  configFile?: string;
}

/** What the vision pipeline (or anything else in-process) reports: one recognised incident. */
export interface Recognition {
  kind: AlarmKind;
  data?: EventData;
  incidentId?: string;
  evidenceId?: string;
}

/** One evidence package: the full frame and crops, with what was recognised where. */
export interface Evidence {
  images: Array<{
    role: EvidenceManifest['images'][number]['role'];
    jpeg: Buffer;
    width: number;
    height: number;
    box?: [number, number, number, number];
  }>;
  recognitions?: EvidenceManifest['recognitions'];
  models?: EvidenceManifest['models'];
  eventId?: string;
  capturedAt?: Date;
}

/**
 * One roadside box. Local warnings come first and need nothing but the hardware; every report
 * goes through the durable outbox; the MQTT link drains it whenever the gateway is reachable.
 */
export class EdgeAgent {
  readonly outbox: Outbox;
  readonly link: MqttLink;
  /** Where a technician's `selftest` on the box reaches this agent. */
  private readonly control: ControlSocket;
  readonly light?: WarningLight;
  readonly speaker?: Loudspeaker;
  readonly sensors = new Map<string, PresenceSensor>();
  readonly camera?: Camera;
  readonly rules: RuleEngine;
  readonly scheduler: Scheduler;
  /** On-device recognition, when edge.yaml has `vision:` and a camera. */
  readonly vision?: VisionUnit;
  private readonly factory: DeviceFactory;
  private readonly commands: CommandHandler;
  private readonly telemetry: TelemetryBuilder;
  private readonly newId: IdGenerator;
  private readonly now: () => Date;
  private readonly log: Logger | undefined;
  private readonly dataDir: string;
  private configVersion: number | undefined;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  private updating = false;
  private pendingTrial: TrialRequest | undefined;
  /** whether the vision models loaded: what a trial of new models must show */
  private visionHealth: DriverHealth | undefined;

  constructor(private readonly o: EdgeAgentOptions) {
    const c = o.config;
    this.now = o.now ?? (() => new Date());
    this.newId = createIdGenerator(() => this.now().getTime());
    this.log = o.logger?.child({ deviceId: c.device.id });
    this.dataDir = edgeDataDir(c);
    makePrivateDir(this.dataDir);
    this.factory = new DeviceFactory({ logger: this.log, binding: o.binding });
    const hw = c.hardware;
    if (hw.light) this.light = this.factory.light(hw.light);
    if (hw.speaker) this.speaker = this.factory.speaker(hw.speaker);
    for (const s of hw.sensors ?? []) this.sensors.set(s.name, this.factory.sensor(s, `sensor_${s.name}`));
    if (hw.camera) this.camera = this.factory.camera(hw.camera);

    const key = c.outbox?.key ? Buffer.from(c.outbox.key, 'base64') : undefined;
    if (!key)
      this.log?.warn(
        `outbox.db is not encrypted: set outbox.key: \${RW_STORAGE_KEY} in edge.yaml and RW_STORAGE_KEY in its .env (roadwarden commission writes both)`,
      );
    this.outbox = new Outbox({
      path: join(this.dataDir, 'outbox.db'),
      key,
      maxBytes: (c.outbox?.maxMb ?? 512) * 1024 * 1024,
      now: () => this.now().getTime(),
    });
    this.configVersion = this.readNumber('config-version');
    const bdSeq = (this.readNumber('bdseq') ?? -1) + 1;
    writeFileSync(join(this.dataDir, 'bdseq'), String(bdSeq), { mode: 0o600 });
    this.link = new MqttLink({
      url: c.gateway.url,
      deviceId: c.device.id,
      username: c.gateway.username,
      password: c.gateway.password,
      ca: c.gateway.caFile ? readFileSync(c.gateway.caFile) : undefined,
      protocolVersion: c.gateway.protocolVersion,
      keepaliveS: c.gateway.keepaliveS,
      outbox: this.outbox,
      newId: this.newId,
      bdSeq,
      firmware: FIRMWARE,
      parts: o.parts,
      logger: this.log,
    });

    const actuators = new Actuators(this.light, this.speaker, this.log);
    const isQuiet = () =>
      c.quietHours ? inWindow(this.now(), c.quietHours.from, c.quietHours.to, c.device.timezone) : false;
    this.rules = new RuleEngine({
      rules: c.rules ?? [],
      actuators,
      isQuiet,
      now: () => this.now().getTime(),
      logger: this.log,
    });
    this.scheduler = new Scheduler({
      schedules: c.schedules ?? [],
      actuators,
      isQuiet,
      timezone: c.device.timezone,
      logger: this.log,
    });
    this.commands = new CommandHandler({
      deviceId: c.device.id,
      actuators,
      camera: this.camera,
      voices: new VoiceStore(join(this.dataDir, 'voice')),
      updateAgent: (p) => this.updateAgent(p),
      selfTest: async () => {
        const checks = await runSelfTest({ light: this.light, speaker: this.speaker }, { flashMs: 500 });
        // Filed with the device record too: a passing remote self-test can close a fault ticket.
        const report = selfTestReport(
          { deviceId: c.device.id, trigger: 'command', firmware: FIRMWARE, newId: this.newId, now: this.now() },
          checks,
        );
        this.enqueue('selftest', topics.selftest(c.device.id), report, 'result');
        return checks;
      },
      newId: this.newId,
      now: this.now,
      logger: this.log,
    });
    this.telemetry = new TelemetryBuilder(c.device.id, this.newId, this.now);
    this.control = new ControlSocket(
      controlSocketPath(c),
      (req, hooks) => this.technicianSelfTest(req, hooks),
      this.log,
    );
    if (c.vision && this.camera) {
      this.vision = new VisionUnit({
        config: c.vision,
        camera: this.camera,
        reportEvidence: (e) => this.reportEvidence(e),
        warn: (kind) => this.rules.onEvent(kind),
        report: (fired, r) => this.report(fired, 'vision', r.data, r),
        logger: this.log,
      });
    }
  }

  get deviceId(): string {
    return this.o.config.device.id;
  }

  async start(): Promise<void> {
    for (const [name, s] of this.sensors)
      s.on('arrived', () => void this.onTrigger(this.rules.onSensor(name), 'sensor', { sensor: name }));
    this.link.on('command', (name: string, payload: Buffer) => void this.onCommand(name, payload));
    this.link.on('config', (payload: Buffer) => this.onDesiredConfig(payload));
    this.link.on('connected', () => this.sendTelemetry());
    for (const d of this.devices()) d.health.on('change', () => this.telemetrySoon());
    this.link.start();
    // Each device starts on its own: one that is absent must not hold up the others.
    await Promise.all(
      this.devices().map((d) =>
        d.start().catch((e: Error) => this.log?.warn({ err: e.message }, 'device did not start; it will be retried')),
      ),
    );
    const volume = this.o.config.hardware.speaker?.volume;
    if (volume !== undefined) await this.speaker?.setVolume(volume).catch(() => undefined);
    this.scheduler.start();
    await this.control
      .start()
      .catch((e: Error) =>
        this.log?.warn({ err: e.message }, 'no control socket: `selftest` will need the agent stopped'),
      );
    // Models load in the vision worker; a box whose models fail still warns from its sensors.
    if (this.vision)
      this.visionHealth = await this.vision.start().then(
        (): DriverHealth => ({ state: 'ok' }),
        (e: Error): DriverHealth => {
          this.log?.error({ err: e.message }, 'vision did not start');
          return { state: 'offline', error: { code: 'models', message: e.message.slice(0, 500) } };
        },
      );
    const every = (this.o.config.telemetry?.intervalS ?? 60) * 1000;
    this.telemetryTimer = setInterval(() => this.sendTelemetry(), every);
    const outcome = takeUpdateOutcome(this.dataDir);
    if (outcome) this.reportOta(outcome, outcome.state, outcome.reason);
    this.log?.info({ firmware: FIRMWARE, ...this.o.parts }, 'edge agent started');
  }

  async stop(): Promise<void> {
    await this.control.stop();
    clearInterval(this.telemetryTimer);
    clearTimeout(this.changeTimer);
    this.scheduler.stop();
    await this.vision?.stop();
    await this.link.stop();
    await Promise.all(this.devices().map((d) => d.stop().catch(() => undefined)));
    await this.factory.stop();
    this.outbox.close();
  }

  /**
   * `roadwarden selftest` while the agent runs: every check on the agent's own drivers and link
   * (no port is opened twice, the MQTT session stays up), filed with the gateway like the CLI's.
   */
  private async technicianSelfTest(req: SelfTestRequest, hooks: SelfTestHooks): Promise<SelfTestReport> {
    const c = this.o.config;
    const results = await runSelfTest(
      { light: this.light, speaker: this.speaker, camera: this.camera, sensors: this.sensors.values() },
      { ...hooks, testClip: req.clip, snapshotPath: req.snapshotPath, sensorWaitMs: req.sensorWaitMs },
    );
    const check = checker(results, hooks);
    await check('gateway', 'credentials accepted', async () => {
      if (!this.link.connected) throw new Error(`the agent is not connected to ${c.gateway.url} (see its log)`);
      return `${c.gateway.url} accepted ${c.device.id} (the agent's session)`;
    });
    if (c.gateway.apiUrl) await check('clock', 'in sync with gateway', () => checkClock(c.gateway.apiUrl!));
    const report = selfTestReport(
      {
        deviceId: c.device.id,
        trigger: 'technician',
        by: req.by,
        firmware: FIRMWARE,
        newId: this.newId,
        now: this.now(),
      },
      results,
    );
    this.enqueue('selftest', topics.selftest(c.device.id), report, 'result');
    return report;
  }

  /** The in-process interface for recognition: warn on the spot, then report. */
  reportRecognition(r: Recognition): Promise<Firing[]> {
    return this.onTrigger(this.rules.onEvent(r.kind), 'vision', r.data, r);
  }

  /**
   * Queue an evidence package: each image as raw JPEG on its content-addressed topic, then the
   * manifest that names them by SHA-256. Returns the evidence id to put on the event. Under
   * storage pressure the outbox drops old evidence before it ever drops an alarm.
   */
  reportEvidence(e: Evidence): string {
    const evidenceId = this.newId();
    const images = e.images.map((i) => ({
      role: i.role,
      sha256: sha256Hex(i.jpeg),
      bytes: i.jpeg.byteLength,
      mime: 'image/jpeg' as const,
      width: i.width,
      height: i.height,
      ...(i.box ? { box: i.box } : {}),
    }));
    e.images.forEach((i, n) => {
      this.outbox.append({
        id: this.newId(),
        topic: topics.image(this.deviceId, images[n].sha256),
        payload: i.jpeg,
        cls: 'evidence',
      });
    });
    const body = {
      v: 1 as const,
      id: this.newId(),
      deviceId: this.deviceId,
      ts: this.now().toISOString(),
      evidenceId,
      ...(e.eventId ? { eventId: e.eventId } : {}),
      capturedAt: (e.capturedAt ?? this.now()).toISOString(),
      images,
      recognitions: e.recognitions ?? [],
      models: e.models ?? [],
    };
    this.enqueue(
      'evidence',
      topics.evidence(this.deviceId, evidenceId),
      { ...body, hash: manifestHash(body) },
      'evidence',
    );
    return evidenceId;
  }

  /** Queue a message durably and let the link publish it. */
  enqueue<K extends MessageKind>(
    kind: K,
    topic: string,
    message: MessageOf<K>,
    cls: OutboxClass,
    retain = false,
  ): void {
    const { dropped } = this.outbox.append({
      id: (message as { id: string }).id,
      topic,
      payload: encodeMessage(kind, message),
      cls,
      retain,
    });
    if (dropped.length) this.log?.warn({ dropped }, 'outbox full: dropped older telemetry/evidence');
    this.link.kick();
  }

  sendTelemetry(): void {
    const drivers = this.driverHealth();
    const msg = this.telemetry.build({
      drivers,
      outbox: this.outbox.stats(),
      configVersion: this.configVersion,
      authRefused: this.link.refused,
    });
    this.enqueue('telemetry', topics.telemetry(this.deviceId), msg, 'telemetry');
  }

  private async onTrigger(
    firing: Promise<Firing[]>,
    source: EventMessage['source'],
    data?: EventData,
    r?: Recognition,
  ): Promise<Firing[]> {
    const fired = await firing;
    this.report(fired, source, data, r);
    return fired;
  }

  /** The events of what fired (the rules that report), queued for the gateway. */
  private report(fired: Firing[], source: EventMessage['source'], data?: EventData, r?: Recognition): void {
    for (const f of fired) {
      if (!f.report) continue;
      const loc = this.o.config.device.location;
      const ev: EventMessage = {
        v: 1,
        id: this.newId(),
        deviceId: this.deviceId,
        ts: this.now().toISOString(),
        kind: f.report.kind,
        severity: f.report.severity,
        source,
        localActions: f.localActions,
        data: { rule: f.rule, ...data },
        ...(loc ? { location: loc } : {}),
        ...(r?.incidentId ? { incidentId: r.incidentId } : {}),
        ...(r?.evidenceId ? { evidenceId: r.evidenceId } : {}),
      };
      this.enqueue('event', topics.event(this.deviceId, ev.kind), ev, ev.severity === 'alarm' ? 'alarm' : 'event');
    }
  }

  private async onCommand(name: string, payload: Buffer): Promise<void> {
    const result = await this.commands.handle(name, payload);
    this.enqueue('command_result', topics.commandResult(this.deviceId, name), result, 'result');
    // After the result is queued: the owner stops this agent to try the update.
    const trial = this.pendingTrial;
    this.pendingTrial = undefined;
    if (trial) this.o.onUpdateReady?.(trial);
  }

  /** What a trial of a new version looks at (edge/ota/trial.ts). */
  trialSubject(): TrialSubject {
    return {
      drivers: () => ({ ...this.driverHealth(), ...(this.visionHealth ? { vision: this.visionHealth } : {}) }),
      linkConnected: () => this.link.connected,
      gatewayUrl: this.o.config.gateway.url,
    };
  }

  /**
   * update_agent: a new agent, models or config template, checked and installed beside what runs
   * while this one keeps warning; the trial and the restart are the process owner's (onUpdateReady).
   */
  private async updateAgent(p: CommandParams<'update_agent'>): Promise<Outcome> {
    const ota = this.o.config.ota;
    const refuse = (code: string, message: string): Outcome => ({ ok: false, code, message });
    if (!ota) return refuse('no_ota', 'this box holds no update key (ota.publicKey in edge.yaml): updates are refused');
    if (!this.o.onUpdateReady)
      return refuse('no_ota', 'this agent was not started by `roadwarden edge`: it cannot restart into an update');
    if (this.updating) return refuse('busy', 'an update is already under way');
    const m = p.bundle.manifest;
    const u = { rollout: p.rollout, version: m.version, sha256: m.sha256 };
    this.updating = true;
    try {
      const r = await installCandidate(p.bundle, p.url, {
        target: (signed) =>
          updateTarget(signed.kind, {
            dataDir: this.dataDir,
            box: this.o.baseConfig ?? this.o.config,
            configFile: this.o.configFile ?? 'edge.yaml',
          }),
        publicKeyPem: readFileSync(ota.publicKey, 'utf8'),
        onDownloading: () => this.reportOta(u, 'downloading'),
      });
      this.reportOta(u, 'installed');
      const drivers = this.trialSubject().drivers();
      this.pendingTrial = {
        candidate: r.dir,
        manifest: r.manifest,
        layout: r.target.layout,
        rollout: p.rollout,
        baseline: Object.fromEntries(Object.entries(drivers).map(([name, h]) => [name, h.state])),
        mustBeUp: m.kind === 'models' && this.vision ? ['vision'] : [],
        trialS: ota.trialS ?? 60,
      };
      return {
        ok: true,
        data: { state: 'installed', kind: m.kind, version: m.version, ...(r.packages ? { packages: r.packages } : {}) },
      };
    } catch (e) {
      this.updating = false;
      // Sent again to a box that runs it already (a rollout resumed): that box is where it should be.
      if (e instanceof UpdateError && e.code === 'same_version') {
        this.reportOta(u, 'healthy');
        return { ok: true, data: { state: 'healthy', version: m.version, already: true } };
      }
      const code = e instanceof UpdateError ? e.code : 'install_failed';
      const message = (e as Error).message;
      this.reportOta(u, 'failed', message);
      return refuse(code, message);
    }
  }

  private reportOta(u: { rollout?: string; version: string; sha256: string }, state: OtaState, reason?: string): void {
    this.enqueue(
      'ota',
      topics.ota(this.deviceId),
      {
        v: 1,
        id: this.newId(),
        deviceId: this.deviceId,
        ts: this.now().toISOString(),
        ...(u.rollout ? { rollout: u.rollout } : {}),
        version: u.version,
        sha256: u.sha256,
        state,
        ...(reason ? { reason: reason.slice(0, 1024) } : {}),
        firmware: FIRMWARE,
      },
      'result',
    );
  }

  private onDesiredConfig(payload: Buffer): void {
    const d = decodeMessage('config', payload);
    if (!d.ok) {
      this.log?.warn({ err: d.error.message }, 'desired config refused');
      return;
    }
    const { version, config } = d.value;
    if (version === this.configVersion) return;
    const volume = (config as { volume?: unknown }).volume;
    if (typeof volume === 'number' && Number.isInteger(volume) && volume >= 0 && volume <= 30)
      void this.speaker?.setVolume(volume).catch(() => undefined);
    this.configVersion = version;
    writeFileSync(join(this.dataDir, 'config-version'), String(version), { mode: 0o600 });
    this.log?.info({ version }, 'desired config applied');
    this.sendTelemetry();
  }

  /** Each device's health by name, as telemetry reports it. */
  private driverHealth(): Record<string, DriverHealth> {
    return Object.fromEntries(this.devices().map((d) => [d.name, d.health.value]));
  }

  /** Every device this box has, in a fixed order. */
  private devices(): Array<{ name: string; health: HealthState; start(): Promise<void>; stop(): Promise<void> }> {
    return [this.light, this.speaker, ...this.sensors.values(), this.camera].filter((d) => d !== undefined);
  }

  private telemetrySoon(): void {
    clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => this.sendTelemetry(), 300);
    this.changeTimer.unref();
  }

  private readNumber(file: string): number | undefined {
    try {
      const n = Number(readFileSync(join(this.dataDir, file), 'utf8'));
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined;
    }
  }
}
