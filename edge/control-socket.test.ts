import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SelfTestReport } from '../protocols/index.ts';
import { ControlSocket, selfTestThroughAgent } from './control-socket.ts';

/** What the agent's control socket answers to a raw client sending `text`. */
function raw(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.write(text);
  });
}

describe("the agent's control socket", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-control-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the owner’s only, refuses what is not a self-test request, and runs one self-test at a time', async () => {
    const path = join(dir, 'control.sock');
    writeFileSync(path, ''); // left by an agent that was killed
    let release: () => void = () => {};
    const report = { id: 'r1', ok: true, checks: [] } as unknown as SelfTestReport;
    const socket = new ControlSocket(path, async (_req, hooks) => {
      hooks.onStart('light', 'controller answers');
      hooks.onResult({ device: 'light', check: 'controller answers', ok: true, message: '4 channels', ms: 3 });
      await new Promise<void>((r) => (release = r));
      return report;
    });
    await socket.start();
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await raw(path, 'not json\n')).toBe('{"error":"not JSON"}\n');
      expect(await raw(path, '{"cmd":"reboot"}\n')).toBe('{"error":"unknown command reboot"}\n');
      expect(await raw(path, 'x'.repeat(5000))).toBe('{"error":"request too long"}\n');

      const seen: string[] = [];
      const first = selfTestThroughAgent(
        path,
        { cmd: 'selftest', sensorWaitMs: 0, by: 'tech-li' },
        { onStart: (d, c) => seen.push(`start ${d} ${c}`), onResult: (r) => seen.push(`result ${r.check} ${r.ok}`) },
      );
      await new Promise((r) => setTimeout(r, 50));
      const second = selfTestThroughAgent(
        path,
        { cmd: 'selftest', sensorWaitMs: 0 },
        { onStart: () => {}, onResult: () => {} },
      );
      await expect(second).rejects.toThrow(/a self-test is already running on this box/);
      release();
      expect(await first).toEqual({ report, delivery: 'queued' });
      expect(seen).toEqual(['start light controller answers', 'result controller answers true']);
    } finally {
      await socket.stop();
    }
    // No agent now: the command opens the hardware itself.
    expect(
      await selfTestThroughAgent(path, { cmd: 'selftest', sensorWaitMs: 0 }, { onStart: () => {}, onResult: () => {} }),
    ).toBeUndefined();
  });
});
