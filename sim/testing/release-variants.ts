import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A box release built once by scripts/release.ts and unpacked in `dir`: its folder. */
export async function unpackedRelease(dir: string, version: string): Promise<string> {
  const { buildRelease } = await import('../../scripts/release.ts');
  const built = await buildRelease('edge', join(dir, 'release'), { version });
  mkdirSync(join(dir, 'src'), { recursive: true });
  await run('tar', ['-xzf', built.file, '-C', join(dir, 'src')]);
  return join(dir, 'src', `roadwarden-edge-${version}`);
}

/**
 * That release under another version (RELEASE.json, package.json), changed by `patch` — a broken
 * one on purpose — packed as `<out>/roadwarden-edge-<version>.tar.gz`, as a county would ship it.
 */
export async function releaseVariant(
  src: string,
  out: string,
  version: string,
  patch?: (release: string) => void,
): Promise<{ name: string; file: string }> {
  const name = `roadwarden-edge-${version}`;
  const stage = join(out, 'stage', name);
  cpSync(src, stage, { recursive: true });
  for (const f of ['RELEASE.json', 'package.json']) {
    const j = JSON.parse(readFileSync(join(stage, f), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(stage, f), JSON.stringify({ ...j, version }));
  }
  patch?.(stage);
  const file = join(out, `${name}.tar.gz`);
  await run('tar', ['-czf', file, '-C', join(out, 'stage'), name]);
  return { name, file };
}

/** A patch: the agent throws as it loads, the way a bad build does. */
export function crashAtStart(release: string): void {
  const f = join(release, 'edge', 'agent.js');
  writeFileSync(f, `throw new Error('broken on purpose');\n${readFileSync(f, 'utf8')}`);
}

/** A patch: the agent starts but dials a port nobody listens on, so its link never comes up. */
export function neverConnects(release: string): void {
  const f = join(release, 'edge', 'mqtt-link.js');
  const js = readFileSync(f, 'utf8');
  if (!js.includes('mqtt.connect(this.o.url,')) throw new Error(`${f}: the connect call to patch is not there`);
  writeFileSync(f, js.replace('mqtt.connect(this.o.url,', "mqtt.connect('mqtt://127.0.0.1:1',"));
}
