import type { Command } from 'commander';
import type { Logger } from 'pino';
import { createLogger } from './log.ts';

/** What every subcommand gets from the global options. */
export interface CliContext {
  logger(cmd: Command): Logger;
}

let root: Logger | undefined;

export const cliContext: CliContext = {
  logger(cmd: Command): Logger {
    const g = cmd.optsWithGlobals<{ pretty?: boolean; logLevel?: string }>();
    root ??= createLogger({ pretty: g.pretty, level: g.logLevel });
    return root;
  },
};

/** Resolve on SIGINT/SIGTERM, so long-running commands stop cleanly. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
