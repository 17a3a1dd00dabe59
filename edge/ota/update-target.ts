import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import type { BundleKind, UpdateManifest } from '../../protocols/index.ts';
import { applyTemplate, loadConfigTemplate, TEMPLATE_FILE } from '../config/config-template.ts';
import type { EdgeConfig } from '../config/schema.ts';
import { loadModelManifest } from '../vision/models/manifest.ts';
import { partLayout, type ReleaseLayout, releaseLayout, releaseVersion } from './release-layout.ts';

export const MODELS_FILE = 'models.yaml';

/** Where a bundle of one kind goes on this box, and what its unpacked folder must hold to be tried. */
export interface UpdateTarget {
  layout: ReleaseLayout;
  /** why the folder is not this kind's (a message), or undefined when it is */
  check(dir: string, m: UpdateManifest): string | undefined;
  /** an agent release needs its npm packages */
  packages: boolean;
}

const problemsOf = (e: unknown) => (e as Error).message.replace(/\n\s*/g, ' ');

/** Every file a models.yaml names lies inside the bundle: a signed bundle does not reach into the box. */
function checkModels(dir: string): string | undefined {
  const file = join(dir, MODELS_FILE);
  if (!existsSync(file)) return `the bundle has no ${MODELS_FILE} (it holds ${readdirSync(dir).join(', ')})`;
  try {
    // Before the manifest is loaded, which reads (and hashes) every file it names.
    const named = ((parse(readFileSync(file, 'utf8')) as { models?: unknown[] })?.models ?? []).flatMap((e) => {
      const { file: f, dictionary: d } = (e ?? {}) as { file?: unknown; dictionary?: unknown };
      return [f, d].filter((x): x is string => typeof x === 'string');
    });
    const outside = named.find((f) => isAbsolute(f) || relative(dir, resolve(dir, f)).startsWith('..'));
    if (outside) return `${MODELS_FILE} names ${outside}, outside the bundle (paths are relative to it)`;
    loadModelManifest(file);
    return undefined;
  } catch (e) {
    return problemsOf(e);
  }
}

/**
 * The target for `kind`: the agent's release layout (an installed box only), or the box's models
 * or template under its data folder. `box` is edge.yaml as written: a template is checked against
 * it, not against the template it replaces.
 */
export function updateTarget(
  kind: BundleKind,
  o: { dataDir: string; box: EdgeConfig; configFile: string },
): UpdateTarget | { error: string } {
  if (kind === 'agent') {
    const layout = releaseLayout();
    if ('error' in layout) return layout;
    return {
      layout,
      packages: true,
      check: (dir, m) =>
        existsSync(join(dir, 'bin', 'roadwarden.js')) && releaseVersion(dir) === m.version
          ? undefined
          : `${m.name} is not the release ${m.version} (bin/roadwarden.js, RELEASE.json)`,
    };
  }
  const layout = partLayout(o.dataDir, kind);
  if (kind === 'models') return { layout, packages: false, check: (dir) => checkModels(dir) };
  return {
    layout,
    packages: false,
    check: (dir) => {
      const file = join(dir, TEMPLATE_FILE);
      if (!existsSync(file)) return `the bundle has no ${TEMPLATE_FILE} (it holds ${readdirSync(dir).join(', ')})`;
      try {
        applyTemplate(o.box, loadConfigTemplate(file), `${o.configFile} with ${TEMPLATE_FILE}`);
        return undefined;
      } catch (e) {
        return problemsOf(e);
      }
    },
  };
}
