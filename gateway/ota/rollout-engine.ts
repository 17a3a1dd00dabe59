import type { Logger } from 'pino';
import type { CommandResultMessage, IdGenerator, OtaStatusMessage } from '../../protocols/index.ts';
import type { CommandSender } from '../devices/command-sender.ts';
import { every } from '../periodic.ts';
import { OTA_DEFAULTS, type OtaConfig } from './ota-config.ts';
import { ENDED, type OtaStore, type Rollout, type Target } from './ota-store.ts';
import { planRollout, type RolloutRequest } from './rollout-plan.ts';

export interface RolloutView extends Rollout {
  bundle: { name: string; version: string; sha256: string };
  counts: Record<string, number>;
  targets: Target[];
}

export interface RolloutEngineOptions {
  store: OtaStore;
  commands: CommandSender;
  config: OtaConfig | undefined;
  /** where boxes download bundles from (ota.baseUrl, else this gateway's HTTP address) */
  baseUrl: () => string;
  now: () => Date;
  newId: IdGenerator;
  logger?: Logger;
  /** only the leading worker sends and judges (worker.ts) */
  leads: () => boolean;
}

/**
 * Rollouts in stages, as ThingsBoard and fleet managers do them: the canary share first; only when
 * every canary box reports healthy, the rest at `perMinute`; a canary that rolls back or fails halts
 * the rollout with its reason, so a broken bundle reaches only the canaries (which roll back by
 * themselves). Each box's state comes from its own reports (rw/v1/{id}/ota), its command's refusal,
 * or silence past `timeoutS`.
 */
export class RolloutEngine {
  private timer: NodeJS.Timeout | undefined;
  private readonly o: RolloutEngineOptions;
  private readonly c: Required<Omit<OtaConfig, 'publicKey' | 'baseUrl'>>;

  constructor(o: RolloutEngineOptions) {
    this.o = o;
    this.c = { ...OTA_DEFAULTS, ...o.config };
  }

  start(): void {
    this.timer = every(1000, 'ota rollouts', () => this.tick(), this.o.logger, this.o.leads);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  create(r: Omit<RolloutRequest, 'id' | 'at' | 'defaultPercent'>): Promise<Rollout> {
    return planRollout(this.o.store, {
      ...r,
      id: this.o.newId(),
      at: this.o.now().toISOString(),
      defaultPercent: this.c.canaryPercent,
    }).then((rollout) => {
      this.o.logger?.info({ rollout: rollout.id, bundle: r.bundle, boxes: r.devices.length }, 'rollout created');
      return rollout;
    });
  }

  async view(id: string): Promise<RolloutView | undefined> {
    const r = await this.o.store.rollout(id);
    if (!r) return undefined;
    const b = await this.o.store.bundle(r.sha256);
    const targets = await this.o.store.targets(id);
    const counts: Record<string, number> = {};
    for (const t of targets) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return { ...r, bundle: { name: b!.name, version: b!.version, sha256: r.sha256 }, counts, targets };
  }

  onReport(m: OtaStatusMessage): Promise<void> {
    return this.o.store.reported(m);
  }

  /** A refused update_agent (expired, bad signature, no key on the box): that box has failed. */
  async onCommandResult(m: CommandResultMessage): Promise<void> {
    if (m.name !== 'update_agent' || m.ok) return;
    const t = await this.o.store.byCommand(m.commandId);
    if (t) await this.o.store.failed(t.rolloutId, t.deviceId, `${m.code}: ${m.message ?? ''}`, m.ts);
  }

  async tick(): Promise<void> {
    let budget = Math.max(1, Math.round(this.c.perMinute / 60));
    for (const r of await this.o.store.active()) budget = await this.advance(r, budget);
  }

  private async advance(r: Rollout, budget: number): Promise<number> {
    const now = this.o.now();
    const at = now.toISOString();
    const targets = await this.o.store.targets(r.id);
    const deadline = now.getTime() - this.c.timeoutS * 1000;
    for (const t of targets)
      if (!ENDED.has(t.state) && t.sentAt && Date.parse(t.updatedAt) < deadline) {
        await this.o.store.failed(r.id, t.deviceId, `no report within ${this.c.timeoutS} s`, at);
        t.state = 'failed';
      }
    const canaries = targets.filter((t) => t.stage === 'canary');
    if (r.state === 'canary') {
      const bad = canaries.find((t) => t.state === 'failed' || t.state === 'rolled_back');
      if (bad) {
        const reason = `canary ${bad.deviceId} ${bad.state}: ${bad.reason ?? ''}`.trim();
        if (await this.o.store.moveRollout(r.id, ['canary'], 'halted', at, reason))
          this.o.logger?.warn({ rollout: r.id, reason }, 'rollout halted');
        return budget;
      }
      if (canaries.every((t) => t.state === 'healthy')) {
        // Paused or cancelled by a person since this tick read it: theirs is the last word.
        if (!(await this.o.store.moveRollout(r.id, ['canary'], 'rolling', at, null))) return budget;
        r.state = 'rolling';
      }
    }
    const due = (r.state === 'canary' ? canaries : targets).filter((t) => t.state === 'waiting').slice(0, budget);
    if (due.length && (await this.o.store.rollout(r.id))?.state === r.state) {
      // One command body for every box of this tick: the bundle, its signature, where to fetch it.
      const b = (await this.o.store.bundle(r.sha256))!;
      const params = {
        bundle: b.signed,
        url: `${this.o.baseUrl().replace(/\/$/, '')}/ota/bundles/${b.sha256}.tar.gz`,
        rollout: r.id,
      };
      for (const t of due) {
        const id = await this.o.commands.send(t.deviceId, 'update_agent', params, this.c.timeoutS);
        await this.o.store.sent(r.id, t.deviceId, id, this.o.now().toISOString());
        t.state = 'pending';
      }
      budget -= due.length;
    }
    if (r.state === 'rolling' && targets.every((t) => ENDED.has(t.state))) {
      if (await this.o.store.moveRollout(r.id, ['rolling'], 'done', at, null))
        this.o.logger?.info({ rollout: r.id }, 'rollout done');
    }
    return budget;
  }
}
