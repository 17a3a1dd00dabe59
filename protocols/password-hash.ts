import { pbkdf2Sync, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );

/** scrypt N=2^14, r=8, p=1 (OWASP's minimum), 16-byte salt; runs on libuv's pool, never the event loop. */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;

/** `scrypt$N$r$p$salt$hash`, base64 — self-describing, so the cost can rise later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * A hash made with exactly our parameters (16-byte salt, 32-byte key). Hashes come from outside
 * (a commissioning tool sends one), and a cost like p=100 would stall every log-in for a minute.
 */
export function isOwnPasswordHash(stored: string): boolean {
  const [alg, n, r, p, salt, hash, ...rest] = stored.split('$');
  return (
    alg === 'scrypt' &&
    Number(n) === PARAMS.N &&
    Number(r) === PARAMS.r &&
    Number(p) === PARAMS.p &&
    !rest.length &&
    Buffer.from(salt ?? '', 'base64').length === 16 &&
    Buffer.from(hash ?? '', 'base64').length === 32
  );
}

/** Checks only hashes of our own parameters; any other is refused without running scrypt. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (!isOwnPasswordHash(stored)) return false;
  const [, , , , salt, hash] = stored.split('$');
  const want = Buffer.from(hash, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), want.length, PARAMS);
  return timingSafeEqual(got, want);
}

/**
 * Mosquitto's password-file hash (`$7$iterations$salt$hash`: PBKDF2-SHA512, 12-byte salt), as
 * `mosquitto_passwd` writes it, for the accounts an external Mosquitto checks. Only machine
 * secrets (boxes, the gateway) go there, so a low iteration count costs a reconnect storm little.
 */
export function mosquittoHash(password: string, iterations = 1000): string {
  const salt = randomBytes(12);
  const key = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export const MOSQUITTO_HASH = /^\$7\$\d{2,7}\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/;
