import type { Logger } from 'pino';

/**
 * Run `task` every `ms` (not holding the process open). A run still going when the next is due
 * is not started twice, and a failure is logged, not thrown into the timer (which would end the
 * gateway).
 */
export function every(ms: number, what: string, task: () => Promise<unknown>, log?: Logger): NodeJS.Timeout {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (e) {
      log?.error({ err: (e as Error).message, task: what }, `${what} failed`);
    } finally {
      running = false;
    }
  };
  return setInterval(() => void tick(), ms).unref();
}
