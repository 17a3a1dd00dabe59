import { monotonicFactory } from 'ulid';

/** Message and event ids are ULIDs: unique, sortable by time, safe in topics and file names. */
export type IdGenerator = () => string;

export const ULID_PATTERN = '^[0-9A-HJKMNP-TV-Z]{26}$';

/** A monotonic ULID generator; inject `now` for deterministic tests. */
export function createIdGenerator(now: () => number = Date.now): IdGenerator {
  const next = monotonicFactory();
  return () => next(now());
}

/** Device ids appear as one MQTT topic level and in file names. */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const deviceIdRe = new RegExp(DEVICE_ID_PATTERN);
export const isDeviceId = (s: string): boolean => deviceIdRe.test(s);
