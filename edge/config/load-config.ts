import { Cron } from 'croner';
import { ConfigError, loadYamlConfig, parseYamlConfig } from '../../protocols/index.ts';
import { EdgeConfig } from './schema.ts';

export { ConfigError } from '../../protocols/index.ts';

/** Checks the schema cannot express: names that must refer to each other, cron syntax. */
function crossCheck(c: EdgeConfig, problems: string[]): void {
  const sensors = new Set((c.hardware.sensors ?? []).map((s) => s.name));
  const channels = c.hardware.light
    ? c.hardware.light.type === 'modbus'
      ? (c.hardware.light.channels ?? 4)
      : c.hardware.light.pins.length
    : 0;
  const checkActions = (
    where: string,
    a: { light?: { channels?: number[] }; voice?: unknown; broadcast?: unknown },
  ) => {
    if (a.light && !c.hardware.light) problems.push(`${where}.light: no light in hardware.light`);
    for (const ch of a.light?.channels ?? [])
      if (ch > channels) problems.push(`${where}.light.channels: channel ${ch}, but the light has ${channels}`);
    if ((a.voice || a.broadcast) && !c.hardware.speaker)
      problems.push(`${where}: plays a clip, but there is no hardware.speaker`);
  };
  (c.rules ?? []).forEach((r, i) => {
    const where = `rules.${i} (${r.name})`;
    if ('sensor' in r.trigger && !sensors.has(r.trigger.sensor)) {
      problems.push(
        `${where}.trigger.sensor: no sensor named "${r.trigger.sensor}" in hardware.sensors (have: ${[...sensors].join(', ') || 'none'})`,
      );
    }
    if (!r.light && !r.voice && !r.report) problems.push(`${where}: does nothing (give it light, voice or report)`);
    checkActions(where, r);
  });
  (c.schedules ?? []).forEach((s, i) => {
    const where = `schedules.${i} (${s.name})`;
    try {
      new Cron(s.cron, { paused: true });
    } catch (e) {
      problems.push(`${where}.cron: "${s.cron}" is not a cron expression (${(e as Error).message})`);
    }
    checkActions(where, s);
  });
  if (c.vision && !c.hardware.camera) problems.push('vision: needs a camera in hardware.camera');
  const names = [...(c.rules ?? []).map((r) => r.name), ...(c.schedules ?? []).map((s) => s.name)];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) problems.push(`rule/schedule name "${dup}" is used twice`);
}

/** Parse and validate edge.yaml text; every problem names its key and, where known, its line. */
export function parseEdgeConfig(text: string, file = 'edge.yaml', env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  return parseYamlConfig(EdgeConfig, text, { file, env, crossCheck });
}

/** The checks across keys again, on a config put together from parts (edge.yaml and a template). */
export function checkEdgeConfig(c: EdgeConfig, file: string): void {
  const problems: string[] = [];
  crossCheck(c, problems);
  if (problems.length) throw new ConfigError(file, problems);
}

export function loadEdgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  return loadYamlConfig(EdgeConfig, file, { env, crossCheck });
}
