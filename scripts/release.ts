// Builds the release bundles: compiled JavaScript, the lock file and, for the gateway, the dashboard
// already built, so a box or a county server needs only `npm ci --omit=dev` (no compiler, no bundler).
//   node --import tsx scripts/release.ts [--target edge|gateway|all] [--out build/release]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDashboard, RELEASED } from '../gateway/dashboard/build.ts';
import { sha256File } from '../protocols/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = ['edge', 'gateway'] as const;
type Target = (typeof TARGETS)[number];

/** What every bundle carries besides the compiled code; the gateway's also its built dashboard. */
const COMMON = ['package-lock.json', '.npmrc', 'vendor', 'examples', 'README.md', 'docs'];

/** What the release's package.json keeps: no development scripts (`prepare` would need the bundler). */
function releasePackageJson(version: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const { scripts: _scripts, ...rest } = pkg;
  return `${JSON.stringify({ ...rest, version, scripts: { start: 'node bin/roadwarden.js' } }, null, 2)}\n`;
}

function gitCommit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return undefined;
  }
}

export interface BuiltRelease {
  target: Target;
  version: string;
  file: string;
  sha256: string;
  bytes: number;
}

/**
 * One bundle: build/stage/roadwarden-<target>-<version>/ packed as a .tar.gz in `out`; `version`
 * other than package.json's for a pre-release or a test of updates.
 */
export async function buildRelease(target: Target, out: string, o: { version?: string } = {}): Promise<BuiltRelease> {
  const version =
    o.version ?? (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const name = `roadwarden-${target}-${version}`;
  const stage = join(ROOT, 'build', 'stage', name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', stage],
    {
      stdio: 'inherit',
    },
  );
  for (const f of COMMON) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(stage, f), { recursive: true });
  writeFileSync(join(stage, 'package.json'), releasePackageJson(version));
  if (target === 'gateway') {
    const d = await ensureDashboard();
    cpSync(d.dir, join(stage, relative(ROOT, RELEASED)), { recursive: true });
  }
  const release = { name: 'roadwarden', target, version, commit: gitCommit(), built: new Date().toISOString() };
  writeFileSync(join(stage, 'RELEASE.json'), `${JSON.stringify(release, null, 2)}\n`);
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '--owner=0', '--group=0', '-C', dirname(stage), name]);
  const sum = await sha256File(file);
  writeFileSync(`${file}.sha256`, `${sum}  ${name}.tar.gz\n`);
  return { target, version, file, sha256: sum, bytes: statSync(file).size };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'all' },
      version: { type: 'string' },
      out: { type: 'string', default: 'build/release' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: node --import tsx scripts/release.ts [--target edge|gateway|all] [--out DIR] [--version V]\n' +
        'Builds roadwarden-<target>-<version>.tar.gz (+ .sha256): compiled JavaScript, package.json and the lock\n' +
        'file, examples, and for the gateway the dashboard already built. Install one with npm ci --omit=dev.\n',
    );
    return;
  }
  const targets = values.target === 'all' ? [...TARGETS] : [values.target as Target];
  for (const t of targets) {
    if (!TARGETS.includes(t)) throw new Error(`--target must be edge, gateway or all (got ${t})`);
    const r = await buildRelease(t, resolve(values.out), { version: values.version });
    process.stdout.write(`${relative(process.cwd(), r.file)}  ${(r.bytes / 1e6).toFixed(1)} MB  sha256 ${r.sha256}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
