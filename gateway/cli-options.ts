import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GATEWAY_DEFAULTS } from './config/defaults.ts';

/** Kept small: every `roadwarden` command loads this to show --help; the work is imported when a verb runs. */

export interface DataOpts {
  config?: string;
  dataDir?: string;
}

/** --config and --data-dir, on every gateway command: admin commands find the same data as the running gateway. */
export const withData = (c: Command): Command =>
  c
    .option('--config <file>', 'gateway.yaml: its dataDir is used')
    .option('--data-dir <dir>', `gateway data dir (overrides the config; default ${GATEWAY_DEFAULTS.dataDir})`);

export interface PasswordOpts {
  password?: string;
  passwordStdin?: boolean;
  passwordEnv?: string;
}

export const withPassword = (c: Command): Command =>
  c
    .option('--password-stdin', 'read the password from standard input (first line)')
    .option('--password-env <var>', 'read the password from this environment variable')
    .option(
      '--password <pw>',
      'the password itself (visible to other users in the process list; prefer the two above)',
    );

export function readPassword(o: PasswordOpts): string {
  if (o.passwordStdin) return readFileSync(0, 'utf8').split(/\r?\n/)[0];
  if (o.passwordEnv) {
    const v = process.env[o.passwordEnv];
    if (v === undefined) throw new Error(`environment variable ${o.passwordEnv} is not set`);
    return v;
  }
  if (o.password !== undefined) return o.password;
  throw new Error('give the password with --password-stdin or --password-env VAR');
}

/** --villages / --townships, comma-separated, as a scope. */
export function scopeOf(o: { villages?: string; townships?: string }): { villages?: string[]; townships?: string[] } {
  const list = (v?: string) =>
    v
      ?.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  return { villages: list(o.villages), townships: list(o.townships) };
}

export const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`port ${v} is not 0–65535`);
  return n;
};

export const ROLE_NAMES = 'gateway | admin | police | village | technician';
