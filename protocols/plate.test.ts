import { describe, expect, it } from 'vitest';
import { normalizePlate, parsePlate } from './plate.ts';

describe('plate rules (GA 36)', () => {
  it.each([
    ['鲁P12345', 'ordinary'],
    ['鲁P·A1234', 'ordinary'],
    ['鲁PD12345', 'new_energy_small'],
    ['鲁PDA1234', 'new_energy_small'],
    ['鲁P12345F', 'new_energy_large'],
    ['粤Z1234港', 'hk_macau'],
    ['鲁O12345', 'ordinary'],
    ['皖A1234学', 'ordinary'],
  ])('accepts %s as %s', (p, kind) => {
    const r = parsePlate(p);
    expect(r.ok && r.value.kind).toBe(kind);
  });

  it.each(['鲁PI2345', '鲁P1O345', 'XP12345', '鲁P1234', '鲁P123456', ''])('refuses %s', (p) => {
    expect(parsePlate(p).ok).toBe(false);
  });

  it('normalises width, case and separators, and displays with the dot', () => {
    expect(normalizePlate('鲁p·ａ1234 5')).toBe('鲁PA12345');
    const r = parsePlate('鲁pa-12345');
    expect(r.ok && r.value.display).toBe('鲁P·A12345');
  });

  it('names the province problem', () => {
    const r = parsePlate('AB12345');
    expect(!r.ok && r.error.message).toMatch(/province/);
  });
});
