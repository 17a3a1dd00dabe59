import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface StartedProcess {
  proc: ChildProcess;
  /** spawn → the line that says it is up */
  startMs: number;
  /** resident memory once up and settled */
  rssMb: number;
  output: () => string;
}

/** Resident set size of a live process, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/**
 * `node bin args…` in its own process, resolved when stdout or stderr shows `ready`, with the time
 * it took and its RSS `settleMs` later (what a box or a server holds once it runs).
 */
export function startProcess(
  bin: string,
  args: string[],
  ready: RegExp,
  o: { env?: NodeJS.ProcessEnv; cwd?: string; settleMs?: number; timeoutMs?: number } = {},
): Promise<StartedProcess> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [bin, ...args], {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let up = false;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: not up after ${o.timeoutMs ?? 60_000} ms: ${out.slice(-2000)}`));
    }, o.timeoutMs ?? 60_000);
    const seen = (d: Buffer) => {
      out += d;
      if (up || !ready.test(out)) return;
      up = true;
      clearTimeout(timer);
      const startMs = performance.now() - t0;
      setTimeout(() => {
        try {
          resolve({ proc, startMs, rssMb: rssMb(proc.pid!), output: () => out });
        } catch (e) {
          reject(e as Error);
        }
      }, o.settleMs ?? 1000);
    };
    proc.stdout!.on('data', seen);
    proc.stderr!.on('data', seen);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!up) reject(new Error(`${args.join(' ')} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

/** SIGTERM, and the exit awaited (SIGKILL after `graceMs`). */
export async function stopProcess(proc: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(t);
  return code;
}
