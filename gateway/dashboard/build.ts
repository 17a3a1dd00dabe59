import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const APP = join(here, 'app');
/** A release bundle's dashboard, built when the bundle was made (scripts/release.ts). */
export const RELEASED = join(here, 'site');

/** Where built dashboards are kept: next to the converted models, one folder per source hash. */
function cacheRoot(): string {
  return (
    process.env.ROADWARDEN_DASHBOARD_CACHE ??
    join(here, '..', '..', 'node_modules', '.cache', 'roadwarden', 'dashboard')
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => (statSync(join(dir, f)).isDirectory() ? sourceFiles(join(dir, f)) : [join(dir, f)]))
    .filter((f) => /\.(tsx?|css|svg)$/.test(f))
    .sort();
}

/** Of the app's sources and the bundler's and Preact's versions: any change builds again. */
function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of sourceFiles(APP)) h.update(relative(APP, f)).update(readFileSync(f));
  for (const pkg of ['esbuild', 'preact']) h.update(readFileSync(require.resolve(`${pkg}/package.json`)));
  return h.digest('hex').slice(0, 16);
}

export interface BuiltDashboard {
  dir: string;
  built: boolean;
  ms: number;
}

/**
 * The dashboard as static files (index.html and hashed assets), bundled with esbuild from
 * `app/` (Preact, TypeScript): no CDN, nothing fetched at run time, so a closed county network
 * works. A release bundle carries it built; from the sources it is built at install (`npm ci`
 * runs `prepare`) and otherwise at the gateway's first start;
 * a folder per source hash, written aside and renamed so a half-built one is never served.
 */
export async function ensureDashboard(): Promise<BuiltDashboard> {
  if (existsSync(join(RELEASED, 'index.html'))) return { dir: RELEASED, built: false, ms: 0 };
  const t0 = performance.now();
  // The bundler is a development tool: an installed release carries the dashboard built.
  const { build } = await import('esbuild');
  const dir = join(cacheRoot(), sourceHash());
  if (existsSync(join(dir, 'index.html'))) return { dir, built: false, ms: 0 };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const result = await build({
    entryPoints: [join(APP, 'main.tsx')],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    outdir: join(tmp, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => `/assets/${p.split('/').at(-1)}`);
  const js = outputs.find((p) => p.endsWith('.js'))!;
  const css = outputs.find((p) => p.endsWith('.css'));
  writeFileSync(
    join(tmp, 'index.html'),
    `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>路卫 · 县级指挥台 — roadwarden</title>
${css ? `<link rel="stylesheet" href="${css}">` : ''}
</head>
<body>
<div id="app"></div>
<script type="module" src="${js}"></script>
</body>
</html>
`,
  );
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(tmp, dir);
  } catch {
    // Another process built the same sources first: theirs is as good.
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, built: true, ms: Math.round(performance.now() - t0) };
}
