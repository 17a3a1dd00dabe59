import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { CheckResult } from '../hardware/index.ts';
import type { SelfTestReport } from '../protocols/index.ts';
import { type EdgeConfig, edgeDataDir } from './config/schema.ts';

/** The running agent's local control socket: only the box's own user may open it (mode 600). */
export const controlSocketPath = (c: EdgeConfig): string => join(edgeDataDir(c), 'control.sock');

/** What `roadwarden selftest` asks of a running agent. */
export interface SelfTestRequest {
  cmd: 'selftest';
  sensorWaitMs: number;
  snapshotPath?: string;
  clip?: number;
  by?: string;
}

export interface SelfTestHooks {
  onStart(device: string, check: string): void;
  onResult(r: CheckResult): void;
}

/** One JSON object per line each way; the agent answers with the checks as they run, then the report. */
type Answer =
  | { start: { device: string; check: string } }
  | { result: CheckResult }
  | { report: SelfTestReport; delivery: 'queued' }
  | { error: string };

const MAX_REQUEST_BYTES = 4096;

/**
 * The agent's side: a technician's `selftest` on the box asks the running agent to test its own
 * drivers (it holds the serial ports and the MQTT session) instead of fighting it for them.
 */
export class ControlSocket {
  private server: Server | undefined;
  private busy = false;

  constructor(
    private readonly path: string,
    private readonly selftest: (req: SelfTestRequest, hooks: SelfTestHooks) => Promise<SelfTestReport>,
    private readonly log?: Logger,
  ) {}

  async start(): Promise<void> {
    // A socket file left by an agent that was killed: nobody answers on it.
    if (existsSync(this.path)) unlinkSync(this.path);
    const server = createServer((s) => this.serve(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(s: Socket): void {
    const send = (a: Answer) => s.writable && s.write(`${JSON.stringify(a)}\n`);
    let got = '';
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      got += d.toString('utf8');
      if (got.length > MAX_REQUEST_BYTES) {
        send({ error: 'request too long' });
        return void s.end();
      }
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      s.removeAllListeners('data');
      void this.answer(got.slice(0, nl), send).finally(() => s.end());
    });
  }

  private async answer(line: string, send: (a: Answer) => void): Promise<void> {
    let req: SelfTestRequest;
    try {
      req = JSON.parse(line) as SelfTestRequest;
    } catch {
      return void send({ error: 'not JSON' });
    }
    if (req?.cmd !== 'selftest') return void send({ error: `unknown command ${String(req?.cmd)}` });
    if (this.busy) return void send({ error: 'a self-test is already running on this box' });
    this.busy = true;
    try {
      this.log?.info({ by: req.by }, 'technician self-test through the control socket');
      const report = await this.selftest(req, {
        onStart: (device, check) => send({ start: { device, check } }),
        onResult: (result) => send({ result }),
      });
      send({ report, delivery: 'queued' });
    } catch (e) {
      send({ error: (e as Error).message });
    } finally {
      this.busy = false;
    }
  }
}

/**
 * The technician's side: run the self-test through the agent if one answers on the socket;
 * undefined when no agent runs (then the command opens the hardware itself).
 */
export async function selfTestThroughAgent(
  path: string,
  req: SelfTestRequest,
  hooks: SelfTestHooks,
): Promise<{ report: SelfTestReport; delivery: 'queued' } | undefined> {
  if (!existsSync(path)) return undefined;
  const s = await new Promise<Socket | undefined>((resolve) => {
    const c = connect(path);
    c.once('connect', () => resolve(c));
    c.once('error', () => resolve(undefined)); // stale socket file: no agent
  });
  if (!s) return undefined;
  s.write(`${JSON.stringify(req)}\n`);
  let outcome: { report: SelfTestReport; delivery: 'queued' } | undefined;
  for await (const line of createInterface({ input: s })) {
    const a = JSON.parse(line) as Answer;
    if ('start' in a) hooks.onStart(a.start.device, a.start.check);
    else if ('result' in a) hooks.onResult(a.result);
    else if ('report' in a) outcome = a;
    else throw new Error(`the running agent refused the self-test: ${a.error}`);
  }
  if (!outcome) throw new Error('the running agent closed the control socket before reporting');
  return outcome;
}
