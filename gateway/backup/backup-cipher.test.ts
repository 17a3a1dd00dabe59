import { randomBytes } from 'node:crypto';
import type { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openBackup, sealBackup } from './backup-cipher.ts';

const PASS = 'a county backup passphrase';

/** Writes data through a cipher stream in pieces of the given size and collects what comes out. */
async function through(t: Transform, data: Buffer, piece = 64 * 1024): Promise<Buffer> {
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => {
    t.on('end', resolve);
    t.on('error', reject);
  });
  for (let i = 0; i < data.length; i += piece) t.write(data.subarray(i, i + piece));
  t.end();
  await done;
  return Buffer.concat(out);
}

describe('the backup file cipher', () => {
  const plain = randomBytes(2.5 * (1 << 20) + 17);

  it('gives back what went in, over several frames and in any chunking', async () => {
    const sealed = await through(sealBackup(PASS, '0.2.0'), plain);
    expect(sealed.includes(plain.subarray(1000, 1064))).toBe(false);
    expect((await through(openBackup(PASS), sealed, 7919)).equals(plain)).toBe(true);
    expect((await through(openBackup(PASS), sealed, 3 << 20)).equals(plain)).toBe(true);
  });

  it('refuses a wrong passphrase, a flipped byte, a file cut at a frame boundary or anywhere, and a short passphrase', async () => {
    const sealed = await through(sealBackup(PASS, '0.2.0'), plain);
    await expect(through(openBackup('another passphrase!'), sealed)).rejects.toThrow(/wrong passphrase/);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 5000] ^= 1;
    await expect(through(openBackup(PASS), flipped)).rejects.toThrow(/damaged/);
    // Frames are 1 MiB + 20 bytes: cutting after two whole frames leaves a file that ends too early.
    const header = sealed.indexOf(10) + 1;
    const twoFrames = header + 2 * (4 + (1 << 20) + 16);
    await expect(through(openBackup(PASS), sealed.subarray(0, twoFrames))).rejects.toThrow(/cut off/);
    await expect(through(openBackup(PASS), sealed.subarray(0, sealed.length - 3))).rejects.toThrow(/cut off/);
    await expect(
      through(openBackup(PASS), Buffer.concat([sealed, sealed.subarray(header, header + 100)])),
    ).rejects.toThrow(/after its end|cut off/);
    await expect(through(openBackup(PASS), randomBytes(9000))).rejects.toThrow(/not a roadwarden backup/);
    expect(() => sealBackup('short', '0.2.0')).toThrow(/at least 12 characters/);
  });
});
