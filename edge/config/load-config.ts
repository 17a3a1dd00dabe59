import { readFileSync } from 'node:fs';
import { Cron } from 'croner';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { explainError } from '../../protocols/index.ts';
import { EdgeConfig } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const key = (path: string) => path.replace(/^\//, '').replace(/\//g, '.') || '(top level)';

function substituteEnv(value: unknown, path: string, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, name: string) => {
      if (env[name] === undefined) problems.push(`${key(path)}: environment variable ${name} is not set`);
      return env[name] ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, `${path}/${i}`, env, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, `${path}/${k}`, env, problems)]));
  }
  return value;
}

/** Checks the schema cannot express: names that must refer to each other, cron syntax. */
function crossCheck(c: EdgeConfig, problems: string[]): void {
  const sensors = new Set((c.hardware.sensors ?? []).map((s) => s.name));
  const channels = c.hardware.light ? (c.hardware.light.type === 'modbus' ? (c.hardware.light.channels ?? 4) : c.hardware.light.pins.length) : 0;
  const checkActions = (where: string, a: { light?: { channels?: number[] }; voice?: unknown; broadcast?: unknown }) => {
    if (a.light && !c.hardware.light) problems.push(`${where}.light: no light in hardware.light`);
    for (const ch of a.light?.channels ?? []) if (ch > channels) problems.push(`${where}.light.channels: channel ${ch}, but the light has ${channels}`);
    if ((a.voice || a.broadcast) && !c.hardware.speaker) problems.push(`${where}: plays a clip, but there is no hardware.speaker`);
  };
  (c.rules ?? []).forEach((r, i) => {
    const where = `rules.${i} (${r.name})`;
    if ('sensor' in r.trigger && !sensors.has(r.trigger.sensor)) {
      problems.push(`${where}.trigger.sensor: no sensor named "${r.trigger.sensor}" in hardware.sensors (have: ${[...sensors].join(', ') || 'none'})`);
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
  const names = [...(c.rules ?? []).map((r) => r.name), ...(c.schedules ?? []).map((s) => s.name)];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) problems.push(`rule/schedule name "${dup}" is used twice`);
}

/** Parse and validate edge.yaml text; every problem names its key and, where known, its line. */
export function parseEdgeConfig(text: string, file = 'edge.yaml', env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    throw new ConfigError(file, doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  }
  const problems: string[] = [];
  const raw = substituteEnv(doc.toJS(), '', env, problems);
  const lineOf = (path: string) => {
    const parts = path.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    for (let n = parts.length; n > 0; n--) {
      const node = doc.getIn(parts.slice(0, n), true) as { range?: [number, number] } | undefined;
      if (node?.range) return ` (line ${lines.linePos(node.range[0]).line})`;
    }
    return '';
  };
  if (!Value.Check(EdgeConfig, raw)) {
    const seen = new Set<string>();
    for (const e0 of Value.Errors(EdgeConfig, raw)) {
      const e = explainError(e0);
      const msg = `${key(e.path)}: ${e.message}${e.value !== undefined && typeof e.value !== 'object' ? ` (got ${JSON.stringify(e.value)})` : ''}${lineOf(e.path)}`;
      if (!seen.has(e.path)) problems.push(msg);
      seen.add(e.path);
      if (problems.length >= 20) break;
    }
    throw new ConfigError(file, problems);
  }
  const config = raw as EdgeConfig;
  crossCheck(config, problems);
  if (problems.length) throw new ConfigError(file, problems);
  return config;
}

export function loadEdgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`]);
  }
  return parseEdgeConfig(text, file, env);
}
