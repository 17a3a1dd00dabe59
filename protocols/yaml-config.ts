import { readFileSync } from 'node:fs';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { explainError } from './schema-errors.ts';

/** A config file that is wrong: every problem names its key and, where known, its line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

const key = (path: string) => path.replace(/^\//, '').replace(/\//g, '.') || '(top level)';

/** `${NAME}` in any string value comes from the environment, so secrets stay out of files. */
function substituteEnv(value: unknown, path: string, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, name: string) => {
      if (env[name] === undefined) problems.push(`${key(path)}: environment variable ${name} is not set`);
      return env[name] ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, `${path}/${i}`, env, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, `${path}/${k}`, env, problems)]),
    );
  }
  return value;
}

export interface YamlConfigOptions<T> {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Checks the schema cannot express (names that must refer to each other…); push problems. */
  crossCheck?: (config: T, problems: string[]) => void;
}

/** Parse YAML text, substitute `${ENV}`, validate against a TypeBox schema, explain every problem. */
export function parseYamlConfig<S extends TSchema>(
  schema: S,
  text: string,
  opts: YamlConfigOptions<Static<S>> = {},
): Static<S> {
  const file = opts.file ?? 'config.yaml';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`),
    );
  }
  const problems: string[] = [];
  const raw = substituteEnv(doc.toJS() ?? {}, '', opts.env ?? process.env, problems);
  const lineOf = (path: string) => {
    const parts = path
      .split('/')
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    for (let n = parts.length; n > 0; n--) {
      const node = doc.getIn(parts.slice(0, n), true) as { range?: [number, number] } | undefined;
      if (node?.range) return ` (line ${lines.linePos(node.range[0]).line})`;
    }
    return '';
  };
  if (!Value.Check(schema, raw)) {
    const seen = new Set<string>();
    for (const e0 of Value.Errors(schema, raw)) {
      const e = explainError(e0);
      if (seen.has(e.path)) continue;
      seen.add(e.path);
      const got = e.value !== undefined && typeof e.value !== 'object' ? ` (got ${JSON.stringify(e.value)})` : '';
      problems.push(`${key(e.path)}: ${e.message}${got}${lineOf(e.path)}`);
      if (problems.length >= 20) break;
    }
    throw new ConfigError(file, problems);
  }
  const config = raw as Static<S>;
  opts.crossCheck?.(config, problems);
  if (problems.length) throw new ConfigError(file, problems);
  return config;
}

export function loadYamlConfig<S extends TSchema>(
  schema: S,
  file: string,
  opts: Omit<YamlConfigOptions<Static<S>>, 'file'> = {},
): Static<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [
      `cannot read the file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`,
    ]);
  }
  return parseYamlConfig(schema, text, { ...opts, file });
}
