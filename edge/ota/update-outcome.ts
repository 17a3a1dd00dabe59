import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OtaStatusMessage } from '../../protocols/index.ts';
import { pruneReleases, switchCurrent } from './release-layout.ts';
import { runTrial, type TrialRequest } from './trial.ts';

/** An update's end, written before the restart and reported by whichever version starts next. */
export type UpdateOutcome = Pick<OtaStatusMessage, 'rollout' | 'version' | 'sha256' | 'state' | 'reason'>;

const outcomeFile = (dataDir: string) => join(dataDir, 'ota', 'outcome.json');

/** The outcome left by the last update, once: the caller reports it. */
export function takeUpdateOutcome(dataDir: string): UpdateOutcome | undefined {
  const f = outcomeFile(dataDir);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as UpdateOutcome;
  } finally {
    rmSync(f, { force: true });
  }
}

/**
 * The running version, its agent stopped, tries the candidate; healthy, `current` points at it
 * (and releases older than the one it replaces are removed); not, it stays as it was and the
 * candidate is removed. Either way the caller exits and the service manager (systemd's
 * Restart=always) starts what `current` says.
 */
export async function tryUpdate(
  req: TrialRequest,
  o: { dataDir: string; args: string[]; logger?: Logger },
): Promise<UpdateOutcome> {
  const verdict = await runTrial(req, o);
  const base = { rollout: req.rollout, version: req.manifest.version, sha256: req.manifest.sha256 };
  let outcome: UpdateOutcome;
  if (verdict.ok) {
    switchCurrent(req.layout, req.candidate);
    const pruned = pruneReleases(req.layout, [req.candidate, req.layout.running]);
    if (pruned.length) o.logger?.info({ pruned }, 'older releases removed');
    outcome = { ...base, state: 'healthy' };
  } else {
    rmSync(req.candidate, { recursive: true, force: true });
    outcome = { ...base, state: 'rolled_back', reason: verdict.reason };
  }
  writeFileSync(outcomeFile(o.dataDir), JSON.stringify(outcome), { mode: 0o600 });
  o.logger?.[outcome.state === 'healthy' ? 'info' : 'warn'](outcome, 'update tried; restarting into current');
  return outcome;
}
