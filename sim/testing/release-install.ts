import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ReleaseTarget = 'edge' | 'gateway';

export interface InstalledRelease {
  target: ReleaseTarget;
  version: string;
  /** the unpacked bundle, with its own node_modules */
  root: string;
  bin: string;
  bundleBytes: number;
  npmCiS: number;
  nodeModulesBytes: number;
}

/** npm's own variables of the `npm test` around us (npm_config_*) would steer the install: left out. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

function duBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

/**
 * Builds a release bundle (scripts/release.ts), checks its .sha256, unpacks it into `dir` and
 * installs it as a box or a county server would: `npm ci --omit=dev` in the unpacked folder, nothing
 * taken from the repository's node_modules (packages come from npm's cache or the registry).
 */
export async function installRelease(
  target: ReleaseTarget,
  dir: string,
  onProgress?: (m: string) => void,
): Promise<InstalledRelease> {
  // The bundle builder needs the compiler: from the sources only, so loaded only here.
  const { buildRelease } = await import('../../scripts/release.ts');
  onProgress?.(`building the ${target} bundle`);
  const built = await buildRelease(target, join(dir, 'release'));
  const [sum] = readFileSync(`${built.file}.sha256`, 'utf8').split(/\s+/);
  if (sum !== built.sha256) throw new Error(`${built.file}: its .sha256 does not match`);
  await run('tar', ['-xzf', built.file, '-C', dir]);
  const root = join(dir, `roadwarden-${target}-${built.version}`);
  onProgress?.(`npm ci --omit=dev in ${root}`);
  const t0 = performance.now();
  await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: root,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const npmCiS = (performance.now() - t0) / 1000;
  return {
    target,
    version: built.version,
    root,
    bin: join(root, 'bin', 'roadwarden.js'),
    bundleBytes: built.bytes,
    npmCiS,
    nodeModulesBytes: duBytes(join(root, 'node_modules')),
  };
}
