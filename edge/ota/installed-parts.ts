import { basename, join } from 'node:path';
import { applyTemplate, loadConfigTemplate, TEMPLATE_FILE } from '../config/config-template.ts';
import type { EdgeConfig } from '../config/schema.ts';
import { partLayout } from './release-layout.ts';
import { MODELS_FILE } from './update-target.ts';

/** The models and config template a box runs with, by their bundles' names. */
export interface InstalledParts {
  models?: string;
  config?: string;
}

export interface AssembledConfig {
  config: EdgeConfig;
  parts: InstalledParts;
  /** an installed template that no longer fits this edge.yaml: the box runs without it */
  problems: string[];
}

/**
 * The config the agent runs: edge.yaml, with the models and template that updates installed
 * (`<dataDir>/ota/<kind>/current`), or, on trial, the candidate in place of one. Installed models
 * replace `vision.models`. A template that stopped fitting (a technician removed the sensor its
 * rules name) is left out with a problem to log, so the box still starts; a candidate that does
 * not fit fails its trial.
 */
export function withInstalledParts(
  base: EdgeConfig,
  o: { dataDir: string; file: string; trying?: { kind: 'models' | 'config' | 'agent'; dir: string } },
): AssembledConfig {
  const dirOf = (kind: 'models' | 'config') =>
    o.trying?.kind === kind ? o.trying.dir : partLayout(o.dataDir, kind).running;
  const parts: InstalledParts = {};
  const problems: string[] = [];
  let config = base;
  const template = dirOf('config');
  if (template) {
    try {
      config = applyTemplate(
        base,
        loadConfigTemplate(join(template, TEMPLATE_FILE)),
        `${o.file} with ${TEMPLATE_FILE}`,
      );
      parts.config = basename(template);
    } catch (e) {
      if (o.trying?.kind === 'config') throw e;
      problems.push(`the installed template ${basename(template)} is left out: ${(e as Error).message}`);
    }
  }
  const models = dirOf('models');
  if (models) {
    parts.models = basename(models);
    if (config.vision) config = { ...config, vision: { ...config.vision, models: join(models, MODELS_FILE) } };
  }
  return { config, parts, problems };
}
