import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

describe('LoginThrottle', () => {
  it('locks a name after the limit within the window, frees it after the lock, and forgets names whose failures aged out', () => {
    let now = 0;
    const t = new LoginThrottle(3, 60_000, 30_000, () => now);
    for (let i = 0; i < 2; i++) t.failed('li');
    expect(t.lockedFor('li')).toBe(0);
    t.failed('li');
    expect(t.lockedFor('li')).toBe(30_000);
    now += 30_001;
    expect(t.lockedFor('li')).toBe(0);
    // 10,001 guessed names, then a minute later one more: the aged-out ones are dropped.
    for (let i = 0; i <= 10_000; i++) t.failed(`guess-${i}`);
    now += 61_000;
    t.failed('wang');
    expect((t as unknown as { failures: Map<string, number[]> }).failures.size).toBe(1);
    expect(t.lockedFor('wang')).toBe(0);
  });
});
