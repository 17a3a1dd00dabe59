import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fail, ok, type Result } from './result.ts';

/** Evidence images travel as raw JPEG bytes on `rw/v1/{id}/image/{sha256}`; larger ones are refused. */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

export const sha256Hex = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** The SHA-256 of a file, read as a stream (release bundles are too big to hold at once). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * An image payload is accepted only when it is a whole JPEG (SOI at the start, EOI at the end),
 * within the size limit, and its SHA-256 is the one its topic names: content addressing means
 * a corrupted or substituted image can never be filed under another's name.
 */
export function checkImage(sha256: string, payload: Uint8Array): Result<{ sha256: string; bytes: number }> {
  if (payload.byteLength > MAX_IMAGE_BYTES)
    return fail('bad_length', `image is ${payload.byteLength} bytes, limit ${MAX_IMAGE_BYTES}`);
  const n = payload.byteLength;
  if (n < 4 || payload[0] !== 0xff || payload[1] !== 0xd8 || payload[2] !== 0xff)
    return fail('bad_image', 'image is not a JPEG (no FF D8 FF start marker)');
  if (payload[n - 2] !== 0xff || payload[n - 1] !== 0xd9)
    return fail('bad_image', 'JPEG is truncated (no FF D9 end marker)');
  const actual = sha256Hex(payload);
  if (actual !== sha256) return fail('bad_hash', `image SHA-256 is ${actual}, topic says ${sha256}`);
  return ok({ sha256, bytes: n });
}

/** JSON with object keys sorted at every depth: the same value always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The manifest's `hash`: SHA-256 over its canonical JSON without that field (tamper evidence). */
export function manifestHash(m: object): string {
  const { hash: _ignored, ...rest } = m as Record<string, unknown>;
  return sha256Hex(canonicalJson(rest));
}
