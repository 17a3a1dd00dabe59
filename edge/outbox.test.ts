import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxClass } from './outbox.ts';

const dirs: string[] = [];
const dbPath = () => {
  const d = mkdtempSync(join(tmpdir(), 'rw-outbox-'));
  dirs.push(d);
  return join(d, 'outbox.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const msg = (id: string, cls: OutboxClass, bytes = 10) => ({
  id,
  topic: `rw/v1/box/${cls}`,
  payload: Buffer.alloc(bytes, 1),
  cls,
});

describe('Outbox', () => {
  it('keeps messages in order until acknowledged, and across a reopen', () => {
    const path = dbPath();
    const box = new Outbox({ path });
    for (let i = 0; i < 5; i++) box.append(msg(`m${i}`, 'event'));
    const first = box.next(0, 3);
    expect(first.map((m) => m.id)).toEqual(['m0', 'm1', 'm2']);
    box.ack(first[1].seq);
    box.close();
    const again = new Outbox({ path });
    expect(again.next(0, 10).map((m) => m.id)).toEqual(['m0', 'm2', 'm3', 'm4']);
    expect(again.next(first[2].seq, 10).map((m) => m.id)).toEqual(['m3', 'm4']);
    again.close();
  });

  it('ignores a message id it already holds', () => {
    const box = new Outbox({ path: dbPath() });
    expect(box.append(msg('same', 'event')).seq).toBeDefined();
    expect(box.append(msg('same', 'event')).seq).toBeUndefined();
    expect(box.stats().pending).toBe(1);
    box.close();
  });

  it('when full drops telemetry first, then the oldest evidence, never alarms', () => {
    const box = new Outbox({ path: dbPath(), maxBytes: 100 });
    box.append(msg('t1', 'telemetry', 20));
    box.append(msg('e1', 'evidence', 30));
    box.append(msg('e2', 'evidence', 30));
    box.append(msg('a1', 'alarm', 20));
    // 100 bytes used; a 30-byte alarm makes room by dropping the telemetry, then evidence e1.
    const r = box.append(msg('a2', 'alarm', 30));
    expect(r.dropped).toEqual(['telemetry', 'evidence']);
    expect(box.next(0, 10).map((m) => m.id)).toEqual(['e2', 'a1', 'a2']);
    // Nothing droppable but e2 left; more alarms go beyond the bound rather than being lost.
    box.append(msg('a3', 'alarm', 60));
    box.append(msg('a4', 'alarm', 60));
    expect(box.next(0, 10).map((m) => m.id)).toEqual(['a1', 'a2', 'a3', 'a4']);
    // Telemetry that does not fit is itself dropped, and never pushes out anything else.
    expect(box.append(msg('t2', 'telemetry', 5))).toEqual({ seq: undefined, dropped: ['telemetry'] });
    expect(box.stats().dropped).toEqual({ telemetry: 2, evidence: 2 });
    box.close();
  });

  it('loses nothing committed when the writer is killed with SIGKILL', async () => {
    const path = dbPath();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./testing/outbox-writer.ts', import.meta.url)), path, '100000'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const committed: string[] = [];
    let buf = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        committed.push(...lines);
        if (committed.length >= 300 && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(committed.length).toBeGreaterThanOrEqual(300);
    const box = new Outbox({ path });
    const stored = new Set(box.next(0, 200_000).map((m) => m.id));
    for (const id of committed) expect(stored.has(id), id).toBe(true);
    box.close();
  });
});
