import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from './debouncer.ts';

describe('Debouncer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ignores chatter shorter than the hold time and reports a held level once', () => {
    const changes: boolean[] = [];
    const d = new Debouncer(50, (l) => changes.push(l));
    d.input(true);
    vi.advanceTimersByTime(20);
    d.input(false);
    d.input(true);
    vi.advanceTimersByTime(49);
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(changes).toEqual([true]);
    d.input(true);
    vi.advanceTimersByTime(100);
    expect(changes).toEqual([true]);
    d.input(false);
    vi.advanceTimersByTime(50);
    expect(changes).toEqual([true, false]);
  });

  it('reports an input stuck active, and clears it when released', () => {
    const stuck: boolean[] = [];
    const d = new Debouncer(
      10,
      () => undefined,
      1000,
      (s) => stuck.push(s),
    );
    d.input(true);
    vi.advanceTimersByTime(999);
    expect(stuck).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(stuck).toEqual([true]);
    d.input(false);
    vi.advanceTimersByTime(10);
    expect(stuck).toEqual([true, false]);
  });
});
