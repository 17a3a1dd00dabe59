import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { createLogger } from './log.ts';

/**
 * Commands a technician watches on a terminal: their output is for people (a live checklist
 * rewritten in place), so their log goes to a file unless `--verbose` asks for it on stderr too.
 */
const PEOPLE_COMMANDS = new Set(['hw test', 'selftest', 'sim hw', 'commission']);

/** `sim hw` for the command `roadwarden sim hw`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Where an interactive command's log goes by default: $RW_LOG_DIR, else ~/.local/state/roadwarden. */
export function peopleLogFile(path: string): string {
  const dir = process.env.RW_LOG_DIR ?? join(homedir(), '.local', 'state', 'roadwarden');
  return join(dir, `${path.replaceAll(' ', '-')}.log`);
}

/** What every subcommand gets from the global options. */
export interface CliContext {
  logger(cmd: Command): Logger;
}

let root: Logger | undefined;

export const cliContext: CliContext = {
  logger(cmd: Command): Logger {
    const g = cmd.optsWithGlobals<{ pretty?: boolean; logLevel?: string; verbose?: boolean; logFile?: string }>();
    const path = commandPath(cmd);
    const file = g.logFile ?? (PEOPLE_COMMANDS.has(path) && !g.verbose ? peopleLogFile(path) : undefined);
    root ??= createLogger({ pretty: g.pretty, level: g.logLevel, file });
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
