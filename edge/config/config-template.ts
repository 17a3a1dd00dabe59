import { Type, type Static } from '@sinclair/typebox';
import { loadYamlConfig } from '../../protocols/index.ts';
import { checkEdgeConfig } from './load-config.ts';
import { EdgeConfig, VisionConfig } from './schema.ts';

const edgeKey = <K extends keyof typeof EdgeConfig.properties>(k: K) => EdgeConfig.properties[k];

/**
 * The county's config template (template.yaml in a config bundle): what is the same on every box
 * — its rules, schedules, quiet hours, telemetry interval and vision tuning. Who a box is, where
 * its gateway is, its hardware, keys and folders stay in its own edge.yaml and cannot be templated.
 */
export const ConfigTemplate = Type.Object(
  {
    rules: edgeKey('rules'),
    schedules: edgeKey('schedules'),
    quietHours: edgeKey('quietHours'),
    telemetry: edgeKey('telemetry'),
    /** merged key by key into the box's vision; not its cargo region (the camera's own) nor its models (a models bundle) */
    vision: Type.Optional(Type.Omit(VisionConfig, ['cargoRegion', 'models'])),
  },
  { additionalProperties: false },
);
export type ConfigTemplate = Static<typeof ConfigTemplate>;

export const TEMPLATE_FILE = 'template.yaml';

export function loadConfigTemplate(file: string): ConfigTemplate {
  // No ${ENV} in a template: it is the same file on every box, and secrets are each box's own.
  return loadYamlConfig(ConfigTemplate, file, { env: {} });
}

/**
 * The box's config with the template over it: each key the template has replaces the box's,
 * but vision is merged key by key, and only where the box has vision at all (a template does not
 * turn a camera on). The result is checked as edge.yaml is: a rule for a sensor this box lacks is
 * a problem named with its key.
 */
export function applyTemplate(box: EdgeConfig, t: ConfigTemplate, file: string): EdgeConfig {
  const { vision, ...rest } = t;
  const merged: EdgeConfig = {
    ...box,
    ...rest,
    ...(box.vision ? { vision: { ...box.vision, ...vision } } : {}),
  };
  checkEdgeConfig(merged, file);
  return merged;
}
