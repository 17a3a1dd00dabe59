import { existsSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How an installed box runs (docs/county/install.md): each version in `<root>/releases/<name>/`,
 * the one in use linked as `<root>/current`, which the service runs.
 */
export interface ReleaseLayout {
  root: string;
  releases: string;
  /** the running release's folder (`current` resolved) */
  running: string;
}

/** This program's own folder: the release it was started from, or the checkout. */
export const PROGRAM_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** The layout this program runs in, or why it is not one an update can go into. */
export function releaseLayout(programDir = PROGRAM_DIR): ReleaseLayout | { error: string } {
  const running = realpathSync(programDir);
  const releases = dirname(running);
  const root = dirname(releases);
  if (basename(releases) !== 'releases' || !existsSync(join(running, 'RELEASE.json')))
    return { error: `${running} is not an installed release (<root>/releases/<name>/ with RELEASE.json)` };
  const current = join(root, 'current');
  if (!existsSync(current) || realpathSync(current) !== running)
    return { error: `${current} does not point at the running release ${running}` };
  return { root, releases, running };
}

/** The version a release folder holds (its RELEASE.json). */
export function releaseVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'RELEASE.json'), 'utf8')) as { version: string }).version;
}

/** Point `current` at `dir` in one step (a new link renamed over the old), as a restart will find it. */
export function switchCurrent(layout: ReleaseLayout, dir: string): void {
  const link = join(layout.root, 'current');
  const tmp = `${link}.new-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(relative(layout.root, dir), tmp);
  renameSync(tmp, link);
}
