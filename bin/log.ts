import { pino, type Logger } from 'pino';

export interface LogOptions {
  pretty?: boolean;
  level?: string;
  /** Write the log here instead of stderr (created with its folder). */
  file?: string;
}

/** Logs go to stderr so that stdout stays for results (bench JSON lines, recognize output). */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  if (opts.file) return pino({ level }, pino.destination({ dest: opts.file, mkdir: true, sync: false }));
  if (opts.pretty) {
    return pino(
      { level },
      pino.transport({
        target: 'pino-pretty',
        options: { destination: 2, colorize: process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l' },
      }),
    );
  }
  return pino({ level }, pino.destination({ dest: 2, sync: false }));
}
