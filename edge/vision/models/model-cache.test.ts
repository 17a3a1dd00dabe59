import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultObjectModel } from './default-models.ts';
import { cachedTfjsAsOnnx } from './model-cache.ts';

describe('converted models are cached on disk and checked by SHA-256', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-model-cache-'));
  const before = process.env.ROADWARDEN_MODEL_CACHE;
  process.env.ROADWARDEN_MODEL_CACHE = dir;
  afterAll(() => {
    if (before === undefined) delete process.env.ROADWARDEN_MODEL_CACHE;
    else process.env.ROADWARDEN_MODEL_CACHE = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('converts once, loads the cache after, and converts again when the cached file is damaged', () => {
    const m = defaultObjectModel();
    const first = cachedTfjsAsOnnx(m.file, m.name, m.outputs);
    expect(first.cached).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([
      `${first.path.split('/').at(-1)}`,
      `${first.path.split('/').at(-1)}.sha256`,
    ]);
    const second = cachedTfjsAsOnnx(m.file, m.name, m.outputs);
    expect(second.cached).toBe(true);
    expect(second.onnx.equals(first.onnx)).toBe(true);
    writeFileSync(first.path, Buffer.from('not a model'));
    const third = cachedTfjsAsOnnx(m.file, m.name, m.outputs);
    expect(third.cached).toBe(false);
    expect(third.onnx.equals(first.onnx)).toBe(true);
  });
});
