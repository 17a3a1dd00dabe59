import type { Logger } from 'pino';
import {
  COMMAND_NAMES,
  decodeMessage,
  type CommandMessage,
  type CommandParams,
  type CommandResultMessage,
  type IdGenerator,
} from '../../protocols/index.ts';
import { errorInfo, type Camera, type CheckResult } from '../../hardware/index.ts';
import type { Actuators } from '../actuators.ts';
import { VoiceUpdateError, type VoiceStore } from './voice-store.ts';

export interface CommandContext {
  deviceId: string;
  actuators: Actuators;
  camera?: Camera;
  voices: VoiceStore;
  selfTest: () => Promise<CheckResult[]>;
  /** update_agent: install the signed release beside this one, then try it (edge/ota). */
  updateAgent: (params: CommandParams<'update_agent'>) => Promise<Outcome>;
  newId: IdGenerator;
  now?: () => Date;
  logger?: Logger;
}

export type Outcome = { ok: true; data?: Record<string, unknown> } | { ok: false; code: string; message: string };

/**
 * Commands from the gateway: validated, carried out, and always answered with a result message —
 * a malformed or unknown command gets an error result, never a crash.
 */
export class CommandHandler {
  private readonly now: () => Date;

  constructor(private readonly c: CommandContext) {
    this.now = c.now ?? (() => new Date());
  }

  async handle(topicName: string, payload: Buffer): Promise<CommandResultMessage> {
    const decoded = decodeMessage('command', payload);
    let commandId = 'unknown';
    try {
      const raw = JSON.parse(payload.toString()) as { id?: unknown };
      if (typeof raw.id === 'string') commandId = raw.id.slice(0, 64);
    } catch {
      // the decoder's error says what is wrong with the JSON
    }
    let outcome: Outcome;
    if (!(COMMAND_NAMES as string[]).includes(topicName)) {
      outcome = {
        ok: false,
        code: 'unknown_command',
        message: `unknown command "${topicName}" (known: ${COMMAND_NAMES.join(', ')})`,
      };
    } else if (!decoded.ok) {
      outcome = { ok: false, code: 'bad_command', message: decoded.error.message };
    } else if (decoded.value.name !== topicName) {
      outcome = {
        ok: false,
        code: 'bad_command',
        message: `payload name "${decoded.value.name}" does not match topic command "${topicName}"`,
      };
    } else if (decoded.value.deviceId !== this.c.deviceId) {
      outcome = {
        ok: false,
        code: 'bad_command',
        message: `command is addressed to ${decoded.value.deviceId}, this is ${this.c.deviceId}`,
      };
    } else if (decoded.value.expiresAt && Date.parse(decoded.value.expiresAt) < this.now().getTime()) {
      outcome = { ok: false, code: 'expired', message: `command expired at ${decoded.value.expiresAt}` };
    } else {
      outcome = await this.run(decoded.value).catch((e: unknown) => ({ ok: false as const, ...errorInfo(e) }));
    }
    if (!outcome.ok)
      this.c.logger?.warn(
        { command: topicName, commandId, code: outcome.code, err: outcome.message },
        'command refused or failed',
      );
    return {
      v: 1,
      id: this.c.newId(),
      deviceId: this.c.deviceId,
      ts: this.now().toISOString(),
      commandId,
      name: topicName,
      ok: outcome.ok,
      ...(outcome.ok ? (outcome.data ? { data: outcome.data } : {}) : { code: outcome.code, message: outcome.message }),
    };
  }

  private async run(cmd: CommandMessage): Promise<Outcome> {
    const { light, speaker } = this.c.actuators;
    const need = <T>(x: T | undefined, what: string): T => {
      if (!x) throw Object.assign(new Error(`this box has no ${what}`), { code: 'no_such_device' });
      return x;
    };
    switch (cmd.name) {
      case 'set_light': {
        await this.c.actuators.setLight(cmd.params);
        return { ok: true, data: { mode: cmd.params.mode } };
      }
      case 'play_clip':
        await need(speaker, 'speaker').play(cmd.params.clip, { times: cmd.params.times, volume: cmd.params.volume });
        return { ok: true };
      case 'stop':
        await Promise.all([light?.off(), speaker?.silence()]);
        return { ok: true };
      case 'set_volume':
        await need(speaker, 'speaker').setVolume(cmd.params.volume);
        return { ok: true, data: { volume: cmd.params.volume } };
      case 'update_voice':
        try {
          const r = await this.c.voices.update(cmd.params.clip, cmd.params.url, cmd.params.sha256);
          return { ok: true, data: { clip: cmd.params.clip, bytes: r.bytes } };
        } catch (e) {
          if (e instanceof VoiceUpdateError) return { ok: false, code: e.code, message: e.message };
          throw e;
        }
      case 'update_agent':
        return await this.c.updateAgent(cmd.params);
      case 'self_test': {
        const checks = await this.c.selfTest();
        const failed = checks.filter((x) => !x.ok).length;
        return { ok: true, data: { passed: checks.length - failed, failed, checks } };
      }
      case 'snapshot': {
        const f = await need(this.c.camera, 'camera').grab();
        return { ok: true, data: { width: f.width, height: f.height, bytes: f.jpeg.length, at: f.at.toISOString() } };
      }
    }
  }
}
