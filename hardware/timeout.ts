import { HardwareError, type HardwareErrorCode } from './errors.ts';

/** Reject with a HardwareError if `p` has not settled within `ms`. */
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  message: string,
  code: HardwareErrorCode = 'no_reply',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HardwareError(code, message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
