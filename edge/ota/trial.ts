import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DriverHealth, UpdateManifest } from '../../protocols/index.ts';
import { PROGRAM_DIR, type ReleaseLayout } from './release-layout.ts';

/** What the running version hands the candidate it tries: what to prove, and by when. */
export interface TrialRequest {
  candidate: string;
  manifest: UpdateManifest;
  /** where the candidate goes in use when it passes */
  layout: ReleaseLayout;
  rollout?: string;
  /** each driver's state when the update came: a driver that was up must be up in the new version */
  baseline: Record<string, DriverHealth['state']>;
  /** what must be up whatever it was before: new models must load (vision) */
  mustBeUp: string[];
  trialS: number;
}

export type TrialVerdict = { ok: true } | { ok: false; reason: string };

/** What a box under trial shows of itself. */
export interface TrialSubject {
  drivers(): Record<string, DriverHealth>;
  linkConnected(): boolean;
  gatewayUrl: string;
}

export const trialFiles = (dataDir: string) => ({
  request: join(dataDir, 'ota', 'trial.json'),
  verdict: join(dataDir, 'ota', 'trial-verdict.json'),
});

/**
 * What the new version must show within the trial: each driver that was up, up, and what it must
 * bring up; the gateway link up.
 */
export function judge(s: TrialSubject, req: Pick<TrialRequest, 'baseline' | 'mustBeUp'>): TrialVerdict {
  const names = new Set([
    ...Object.keys(req.baseline).filter((n) => req.baseline[n] === 'ok'),
    ...(req.mustBeUp ?? []),
  ]);
  const down = [...names]
    .filter((name) => s.drivers()[name]?.state !== 'ok')
    .map((name) => {
      const h = s.drivers()[name];
      return `${name} ${h ? `${h.state}${h.error ? ` (${h.error.message})` : ''}` : 'missing'}`;
    });
  const problems = [...down, ...(s.linkConnected() ? [] : [`not connected to ${s.gatewayUrl}`])];
  return problems.length ? { ok: false, reason: problems.join('; ') } : { ok: true };
}

/** The candidate's side (`edge --ota-trial`): wait until it is healthy, or the trial's time is up. */
export async function awaitHealthy(s: TrialSubject, req: TrialRequest): Promise<TrialVerdict> {
  const end = Date.now() + req.trialS * 1000;
  for (;;) {
    const v = judge(s, req);
    if (v.ok || Date.now() >= end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The running version's side, its agent stopped: the candidate runs as a child with the same
 * config, on the same ports, outbox and session, and says whether it came up healthy. A new agent
 * runs from its own release; new models or a new template run in this release's agent. A child that
 * crashes, hangs or says nothing is a failed trial; the reason is what it printed last.
 */
export async function runTrial(
  req: TrialRequest,
  o: { dataDir: string; args: string[]; logger?: Logger },
): Promise<TrialVerdict> {
  const files = trialFiles(o.dataDir);
  mkdirSync(join(o.dataDir, 'ota'), { recursive: true, mode: 0o700 });
  rmSync(files.verdict, { force: true });
  writeFileSync(files.request, JSON.stringify(req), { mode: 0o600 });
  o.logger?.info({ candidate: req.candidate, version: req.manifest.version }, 'trying the new version');
  const child = spawn(
    process.execPath,
    [
      join(req.manifest.kind === 'agent' ? req.candidate : PROGRAM_DIR, 'bin', 'roadwarden.js'),
      'edge',
      ...o.args,
      '--ota-trial',
      files.request,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), (req.trialS + 30) * 1000);
    child.once('exit', (c) => {
      clearTimeout(kill);
      resolve(c);
    });
    child.once('error', () => resolve(-1));
  });
  const said = existsSync(files.verdict)
    ? (JSON.parse(readFileSync(files.verdict, 'utf8')) as TrialVerdict)
    : undefined;
  rmSync(files.request, { force: true });
  rmSync(files.verdict, { force: true });
  if (said?.ok && code === 0) return said;
  if (said && !said.ok) return said;
  return {
    ok: false,
    reason: `the new version exited ${code ?? 'on a signal'} before it was healthy: ${lastWords(tail)}`,
  };
}

/** The last error a process logged (its JSON log's msg and err), or the error line of its crash. */
function lastWords(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean).reverse();
  for (const l of lines) {
    if (/^[A-Za-z]*Error\b/.test(l)) return l.slice(0, 500);
    try {
      const j = JSON.parse(l) as { level?: number; msg?: string; err?: unknown };
      if ((j.level ?? 0) >= 50)
        return [j.msg, typeof j.err === 'string' ? j.err : undefined].filter(Boolean).join(': ');
    } catch {
      // not a log line
    }
  }
  return lines.find((l) => !l.startsWith('Node.js '))?.slice(0, 500) ?? 'nothing';
}
