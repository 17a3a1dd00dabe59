import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { createBus } from './bus.ts';

describe('gateway bus', () => {
  it('logs a listener that rejects, and keeps telling the others', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (c, _e, done) => {
        lines.push(String(c));
        done();
      },
    });
    const bus = createBus(pino(sink));
    const seen: string[] = [];
    bus.on('account_changed', async () => {
      throw new Error('store down');
    });
    bus.on('account_changed', (c) => void seen.push(c.username));
    bus.emit('account_changed', { username: 'li', change: 'set' });
    bus.emit('account_changed', { username: 'wang', change: 'removed' });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['li', 'wang']);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; err: string; event: string });
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({
      msg: 'a listener failed on the gateway bus',
      err: 'store down',
      event: 'account_changed',
    });
  });
});
