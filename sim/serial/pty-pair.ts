import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A pseudo-terminal pair made by socat: two tty paths (symlinks to /dev/pts/N) joined back to
 * back, so a real serialport driver on one end talks to a simulator on the other. `unplug()`
 * makes both paths vanish as a USB adapter would; `replug()` brings them back under the same names.
 */
export class PtyPair {
  private proc: ChildProcess | undefined;
  private ownDir: string | undefined;

  private constructor(
    readonly devicePath: string,
    readonly driverPath: string,
  ) {}

  /** Creates the pair under `dir` (a fresh temp dir by default), named `{name}-device` and `{name}`. */
  static async create(name = 'tty', dir?: string): Promise<PtyPair> {
    if (dir) mkdirSync(dir, { recursive: true });
    const base = dir ?? mkdtempSync(join(tmpdir(), 'rw-pty-'));
    const pair = new PtyPair(join(base, `${name}-device`), join(base, name));
    if (!dir) pair.ownDir = base;
    await pair.replug();
    return pair;
  }

  get plugged(): boolean {
    return this.proc !== undefined;
  }

  async replug(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      'socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.devicePath}`, `pty,raw,echo=0,link=${this.driverPath}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`socat did not start: ${err}`)), 5000);
      proc.once('error', (e) => {
        clearTimeout(timer);
        this.proc = undefined;
        reject(new Error(`cannot run socat (apt-get install socat): ${e.message}`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited with ${code}: ${err}`));
      });
      proc.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('starting data transfer loop')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    proc.removeAllListeners('exit');
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = undefined;
    });
  }

  async unplug(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    this.proc = undefined;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  async close(): Promise<void> {
    await this.unplug();
    if (this.ownDir) rmSync(this.ownDir, { recursive: true, force: true });
  }
}
