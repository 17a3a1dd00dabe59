import { existsSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How an installed box runs (docs/county/install.md): each version in `<root>/releases/<name>/`,
 * the one in use linked as `<root>/current`, which the service runs. Its models and config template
 * are kept the same way under `<dataDir>/ota/<kind>/`.
 */
export interface ReleaseLayout {
  root: string;
  releases: string;
  /** the folder in use (`current` resolved); a part never installed has none */
  running?: string;
}

/** The layout of a box's models or config template: none installed until the first update. */
export function partLayout(dataDir: string, kind: 'models' | 'config'): ReleaseLayout {
  const root = join(dataDir, 'ota', kind);
  const current = join(root, 'current');
  return { root, releases: join(root, 'releases'), running: existsSync(current) ? realpathSync(current) : undefined };
}

/** This program's own folder: the release it was started from, or the checkout. */
export const PROGRAM_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** The layout this program runs in, or why it is not one an update can go into. */
export function releaseLayout(programDir = PROGRAM_DIR): Required<ReleaseLayout> | { error: string } {
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

/**
 * After a switch: every release but the one now in use and the one before it (kept to go back to
 * by hand) is removed, so a box that takes an update a month does not fill its card.
 */
export function pruneReleases(layout: ReleaseLayout, keep: Array<string | undefined>): string[] {
  const kept = new Set(keep.filter((k): k is string => k !== undefined).map((k) => realpathSync(k)));
  const removed: string[] = [];
  for (const name of existsSync(layout.releases) ? readdirSync(layout.releases) : []) {
    const dir = join(layout.releases, name);
    // dot-names are an update under way (its download or unpacking)
    if (name.startsWith('.') || kept.has(realpathSync(dir))) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
