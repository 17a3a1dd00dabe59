import { type ChildProcess, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceStart {
  /** the release `current` pointed at when this start happened */
  release: string;
  at: number;
  exitCode?: number | null;
}

/**
 * What systemd does for roadwarden-edge.service: run `<root>/current/bin/roadwarden.js` with the
 * unit's arguments, and start it again `restartMs` after it ends, whatever its exit code
 * (Restart=always), resolving `current` anew each time — which is how an update takes effect.
 */
export class ServiceSupervisor {
  readonly starts: ServiceStart[] = [];
  private proc: ChildProcess | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private log = '';

  constructor(
    private readonly root: string,
    private readonly args: string[],
    private readonly o: { env?: NodeJS.ProcessEnv; restartMs?: number } = {},
  ) {}

  start(): void {
    const release = realpathSync(join(this.root, 'current'));
    const start: ServiceStart = { release, at: Date.now() };
    this.starts.push(start);
    const p = spawn(process.execPath, [join(release, 'bin', 'roadwarden.js'), ...this.args], {
      cwd: release,
      env: { ...process.env, ...this.o.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group, standing in for the unit's cgroup: what it leaves behind is killed with it.
      detached: true,
    });
    this.proc = p;
    p.stderr!.on('data', (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-200_000);
    });
    p.once('exit', (code) => {
      start.exitCode = code;
      killGroup(p, 'SIGKILL');
      if (!this.stopped) this.timer = setTimeout(() => this.start(), this.o.restartMs ?? 300);
    });
  }

  /** stderr of every start so far (the journal), the newest 200 kB. */
  journal(): string {
    return this.log;
  }

  /** `systemctl stop`: SIGTERM to the group, then SIGKILL after 15 s. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    killGroup(p, 'SIGTERM');
    const t = setTimeout(() => killGroup(p, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
}

function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.pid!, signal);
  } catch {
    // the group is gone already
  }
}
