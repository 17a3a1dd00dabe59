import { spawn } from 'node:child_process';
import { BIN } from './gateway-process.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `roadwarden …` as its own process, as a person would; `input` is typed on its stdin; `bin`
 * another install's `bin/roadwarden.js`.
 */
export function runCli(
  args: string[],
  o: { timeoutMs?: number; env?: Record<string, string>; input?: string; bin?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [o.bin ?? BIN, '--log-level', 'warn', ...args], {
      stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...o.env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d));
    p.stderr!.on('data', (d: Buffer) => (stderr += d));
    if (o.input !== undefined) p.stdin!.end(o.input);
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`roadwarden ${args.join(' ')} timed out; stdout: ${stdout}; stderr: ${stderr}`));
    }, o.timeoutMs ?? 60_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
