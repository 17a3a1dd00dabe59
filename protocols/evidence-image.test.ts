import { describe, expect, it } from 'vitest';
import { MAX_IMAGE_BYTES, canonicalJson, checkImage, manifestHash, sha256Hex } from './evidence-image.ts';
import { parseTopic, topics } from './topics.ts';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);

describe('evidence images', () => {
  it('accepts a whole JPEG under the hash its topic names', () => {
    expect(checkImage(sha256Hex(jpeg), jpeg)).toEqual({
      ok: true,
      value: { sha256: sha256Hex(jpeg), bytes: jpeg.length },
    });
  });

  it('refuses wrong hash, truncation, non-JPEG and oversize, each with its own reason', () => {
    expect(checkImage('0'.repeat(64), jpeg)).toMatchObject({ ok: false, error: { code: 'bad_hash' } });
    const cut = jpeg.subarray(0, 8);
    expect(checkImage(sha256Hex(cut), cut)).toMatchObject({
      ok: false,
      error: { code: 'bad_image', message: expect.stringMatching(/truncated/) },
    });
    const png = Buffer.from('\x89PNG\r\n\x1a\n');
    expect(checkImage(sha256Hex(png), png)).toMatchObject({
      ok: false,
      error: { code: 'bad_image', message: expect.stringMatching(/not a JPEG/) },
    });
    const big = Buffer.alloc(MAX_IMAGE_BYTES + 1);
    expect(checkImage(sha256Hex(big), big)).toMatchObject({ ok: false, error: { code: 'bad_length' } });
  });

  it('has a topic addressed by the SHA-256, and refuses anything else there', () => {
    const h = sha256Hex(jpeg);
    expect(parseTopic(topics.image('lc-1', h))).toEqual({
      ok: true,
      value: { kind: 'image', deviceId: 'lc-1', sha256: h },
    });
    expect(parseTopic('rw/v1/lc-1/image/NOTAHASH')).toMatchObject({ ok: false, error: { code: 'bad_topic' } });
    expect(() => topics.image('lc-1', h.toUpperCase())).toThrow(/lowercase hex/);
  });

  it('hashes a manifest canonically: key order does not matter, content does', () => {
    const a = { v: 1, images: [{ sha256: 'x', role: 'frame' }], deviceId: 'd' };
    const b = { deviceId: 'd', images: [{ role: 'frame', sha256: 'x' }], v: 1, hash: 'ignored' };
    expect(canonicalJson(a)).toBe('{"deviceId":"d","images":[{"role":"frame","sha256":"x"}],"v":1}');
    expect(manifestHash(a)).toBe(manifestHash(b));
    expect(manifestHash({ ...a, deviceId: 'e' })).not.toBe(manifestHash(a));
  });
});
