import { execFile } from 'node:child_process';

/**
 * The line speed a driver set on its end of a pty pair (termios, read with `stty -F`). A pty
 * carries bytes at any speed, so this is how the simulator knows whether driver and device agree:
 * a real UART at the wrong baud hears only framing errors.
 */
export function ttySpeed(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('stty', ['-F', path, 'speed'], { timeout: 2000 }, (err, out) => {
      const n = Number(out?.trim());
      resolve(err || !Number.isFinite(n) ? undefined : n);
    });
  });
}
