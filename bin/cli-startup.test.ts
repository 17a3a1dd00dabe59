import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
// The sources run through tsx (and its esbuild); an installed release runs compiled JavaScript
// without them (sim/e2e/install.test.ts installs one with npm ci --omit=dev).
const SOURCE_LOADER = ['tsx', 'esbuild'];
const DEV_DEPENDENCIES = Object.keys(PKG.devDependencies).filter((d) => !SOURCE_LOADER.includes(d));
const tmp = mkdtempSync(join(tmpdir(), 'rw-cli-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** Runs the real CLI and returns what it printed and every module it loaded, relative to the repository. */
async function loaded(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; modules: string[] }> {
  const log = join(tmp, `modules-${n++}.txt`);
  const { stdout } = await run(
    process.execPath,
    ['--import', join(ROOT, 'bin/testing/record-modules.mjs'), join(ROOT, 'bin/roadwarden.js'), ...args],
    {
      cwd: tmp,
      env: { ...process.env, ...env, RW_MODULE_LOG: log },
    },
  );
  const urls = readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file:'));
  return { stdout, modules: [...new Set(urls.map((u) => relative(ROOT, fileURLToPath(u))))] };
}

const fromPackages = (modules: string[], names: string[]) =>
  modules.filter((m) => names.some((p) => m.startsWith(`node_modules/${p}/`)));
/** Every area's verbs are declared (cheaply) at start; its code beyond that is what must not load. */
const isDeclaration = (m: string) => /\/(cli|cli-options)\.ts$|^gateway\/config\/defaults\.ts$/.test(m);
const codeOf = (modules: string[], dirs: string[]) =>
  modules.filter((m) => dirs.some((d) => m.startsWith(`${d}/`)) && !isDeclaration(m));

// `npm ci --omit=dev` on a box leaves the devDependencies out; these commands must not need them,
// and an edge box must not load the gateway, the simulator or the dashboard to start.
describe('the CLI loads only what the command needs', () => {
  it('records what it loads (the recorder itself works)', async () => {
    const { modules } = await loaded(['--help']);
    expect(modules).toContain('bin/roadwarden.ts');
    expect(modules.some((m) => m.startsWith('node_modules/commander/'))).toBe(true);
  });

  it.each([
    [['--help']],
    [['edge', '--help']],
    [['gateway', '--help']],
    [['gateway', 'user', 'add', '--help']],
    [['hw', '--help']],
    [['bench', 'gateway', '--help']],
    [['commission', '--help']],
  ])('%j loads no devDependency and no feature code', async (args) => {
    const { stdout, modules } = await loaded(args);
    expect(stdout).toMatch(/Usage: roadwarden/);
    expect(fromPackages(modules, DEV_DEPENDENCIES)).toEqual([]);
    expect(
      fromPackages(modules, [
        'aedes',
        'fastify',
        'better-sqlite3-multiple-ciphers',
        'onnxruntime-node',
        'sharp',
        'mqtt',
      ]),
    ).toEqual([]);
    expect(codeOf(modules, ['edge', 'gateway', 'hardware', 'sim'])).toEqual([]);
  });

  it('checking an edge config loads the box, never the gateway, the simulator or a devDependency', async () => {
    const { stdout, modules } = await loaded(['edge', '--config', join(ROOT, 'examples/edge.yaml'), '--check-config'], {
      RW_DEVICE_PASSWORD: 'a-device-secret',
      RW_CAMERA_PASSWORD: 'x',
      RW_STORAGE_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    expect(stdout).toMatch(/valid/);
    expect(modules.some((m) => m.startsWith('edge/config/'))).toBe(true);
    expect(codeOf(modules, ['gateway', 'sim'])).toEqual([]);
    expect(fromPackages(modules, DEV_DEPENDENCIES)).toEqual([]);
  });

  it('checking a gateway config needs no devDependency nor the simulator', async () => {
    for (const args of [['gateway', '--config', join(ROOT, 'examples/gateway.yaml'), '--check-config']]) {
      const { modules } = await loaded(args, {
        VILLAGE_HMAC: 'v'.repeat(16),
        SMS_TOKEN: 's'.repeat(8),
        POLICE_HMAC: 'p'.repeat(16),
      });
      expect(codeOf(modules, ['sim', 'edge'])).toEqual([]);
      expect(fromPackages(modules, DEV_DEPENDENCIES)).toEqual([]);
    }
  });

  it('prints its version', async () => {
    const { stdout } = await loaded(['--version']);
    expect(stdout.trim()).toBe(PKG.version);
  });
});
