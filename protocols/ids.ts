import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Message and event ids are ULIDs: unique, sortable by time, safe in topics and file names. */
export type IdGenerator = () => string;

export const ULID_PATTERN = '^[0-9A-HJKMNP-TV-Z]{26}$';

/** A monotonic ULID generator; inject `now` for deterministic tests. */
export function createIdGenerator(now: () => number = Date.now): IdGenerator {
  const next = monotonicFactory(pooledRandom());
  return () => next(now());
}

/**
 * Cryptographic randomness in [0, 1), drawn from a pool refilled 4 KB at a time: ulid asks for
 * one value per character, and a system call per character was a visible share of the gateway's
 * time under alarm load. A byte / 256 picks each of ulid's 32 characters equally often.
 */
function pooledRandom(): () => number {
  const pool = new Uint8Array(4096);
  let i = pool.length;
  return () => {
    if (i === pool.length) {
      randomFillSync(pool);
      i = 0;
    }
    return pool[i++] / 256;
  };
}

/** Device ids appear as one MQTT topic level and in file names. */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const deviceIdRe = new RegExp(DEVICE_ID_PATTERN);
export const isDeviceId = (s: string): boolean => deviceIdRe.test(s);
