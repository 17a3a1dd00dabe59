import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { BUNDLE_KINDS, bundleNameOf, sha256File, type UpdateManifest } from '../../protocols/index.ts';
import type { EdgeConfig } from '../config/schema.ts';
import { loadConfigTemplate, TEMPLATE_FILE } from '../config/config-template.ts';
import { updateTarget } from './update-target.ts';

const run = promisify(execFile);

export interface PackedPart {
  file: string;
  name: string;
  sha256: string;
  bytes: number;
}

/**
 * A models or config-template bundle, as a box will check it before it tries it: a models folder
 * (models.yaml and the files it names) or a template.yaml, packed as roadwarden-<kind>-<version>/
 * in a .tar.gz, ready for `gateway ota sign`. A template is checked on its own, and against `box`
 * (an edge.yaml: its sensors, light and speaker) when given; each box checks it against its own.
 */
export async function packPart(
  kind: 'models' | 'config',
  src: string,
  o: { version: string; out: string; box?: EdgeConfig; boxFile?: string },
): Promise<PackedPart> {
  const name = `${BUNDLE_KINDS[kind]}-${o.version}`;
  if (!bundleNameOf(name)) throw new Error(`--version ${o.version}: letters, digits and . + - only (at most 40)`);
  const stage = mkdtempSync(join(tmpdir(), 'rw-pack-'));
  try {
    const top = join(stage, name);
    if (kind === 'models') cpSync(src, top, { recursive: true, dereference: true });
    else cpSync(src, join(top, TEMPLATE_FILE));
    if (kind === 'config' && !o.box) loadConfigTemplate(join(top, TEMPLATE_FILE));
    else {
      const box = o.box ?? ({} as EdgeConfig);
      const target = updateTarget(kind, { dataDir: stage, box, configFile: o.boxFile ?? 'edge.yaml' });
      const wrong =
        'error' in target ? target.error : target.check(top, { kind, name, version: o.version } as UpdateManifest);
      if (wrong) throw new Error(`${basename(src)}: ${wrong}`);
    }
    await mkdir(o.out, { recursive: true });
    const file = join(o.out, `${name}.tar.gz`);
    await run('tar', ['-czf', file, '--owner=0', '--group=0', '-C', stage, name]);
    return { file, name, sha256: await sha256File(file), bytes: statSync(file).size };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
