import type { Logger } from 'pino';

/**
 * Run `task` every `ms` (not holding the process open). A run still going when the next is due
 * is not started twice, and a failure is logged, not thrown into the timer (which would end the
 * gateway). With `when`, a tick runs only while it says so (a worker that leads: worker.ts).
 */
export function every(
  ms: number,
  what: string,
  task: () => Promise<unknown>,
  log?: Logger,
  when: () => boolean = () => true,
): NodeJS.Timeout {
  let running = false;
  const tick = async () => {
    if (running || !when()) return;
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
