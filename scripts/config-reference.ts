// Writes docs/county/config-reference.md from the config schemas, so the reference is what the code
// checks (bin/docs.test.ts fails when it is stale):  node --import tsx scripts/config-reference.ts
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeConfig } from '../edge/config/schema.ts';
import { GatewayConfig } from '../gateway/config/schema.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REFERENCE = join(ROOT, 'docs', 'county', 'config-reference.md');

interface Schema {
  type?: string;
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  patternProperties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A schema's type in words: string, integer 1–65535, one of a | b, list of …, map of …. */
function typeOf(s: Schema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.anyOf) {
    const consts = s.anyOf.filter((x) => x.const !== undefined);
    if (consts.length === s.anyOf.length)
      return `one of ${consts.map((x) => `\`${JSON.stringify(x.const)}\``).join(', ')}`;
    return s.anyOf.map(typeOf).join(' or ');
  }
  const range = (lo?: number, hi?: number, unit = '') =>
    lo !== undefined && hi !== undefined
      ? ` ${lo}–${hi}${unit}`
      : lo !== undefined
        ? ` ≥ ${lo}${unit}`
        : hi !== undefined
          ? ` ≤ ${hi}${unit}`
          : '';
  switch (s.type) {
    case 'integer':
    case 'number':
      return `${s.type}${range(s.minimum, s.maximum)}`;
    case 'string':
      return `string${s.pattern ? ` matching \`${s.pattern}\`` : range(s.minLength, s.maxLength, ' chars')}`;
    case 'array':
      return `list${range(s.minItems, s.maxItems, ' items')} of ${s.items ? typeOf(s.items) : 'anything'}`;
    case 'object':
      if (s.patternProperties) return `map of ${Object.values(s.patternProperties).map(typeOf).join(' or ')}`;
      if (!s.properties && typeof s.additionalProperties === 'object')
        return `map of ${typeOf(s.additionalProperties)}`;
      return 'object';
    default:
      return s.type ?? 'anything';
  }
}

function rows(s: Schema, path: string, out: string[]): void {
  const props = s.properties ?? {};
  for (const [k, v] of Object.entries(props)) {
    const p = path ? `${path}.${k}` : k;
    const req = s.required?.includes(k) ? 'required' : '';
    out.push(`| \`${p}\` | ${cell(typeOf(v))} | ${req} | ${cell(v.description ?? '')} |`);
    if (v.properties) rows(v, p, out);
    if (v.type === 'array' && v.items?.properties) rows(v.items, `${p}[]`, out);
    for (const alt of v.anyOf ?? []) if (alt.properties) rows(alt, p, out);
  }
}

function table(title: string, schema: Schema, intro: string): string {
  const out = [`## ${title}`, '', intro, '', '| key | type | | meaning |', '| --- | --- | --- | --- |'];
  rows(schema, '', out);
  return `${out.join('\n')}\n`;
}

export function configReference(): string {
  return [
    '# 配置参考 · Configuration reference',
    '',
    '> 由配置模式自动生成（`scripts/config-reference.ts`），与程序检查的内容一致；每项含义另见各章节与 `examples/` 中带注释的示例。',
    '',
    'Generated from the schemas the programs validate against, so it cannot drift: every key, its',
    'type and limits, whether it is required, and its meaning where the schema gives one. The',
    'commented examples (`examples/gateway.yaml`, `examples/edge.yaml`) and the pages of',
    `[the docs](../../README.md) say how the parts fit. A value written \`\${NAME}\` is taken from the`,
    'environment; `--check-config` names the key and line of any problem.',
    '',
    table('gateway.yaml', GatewayConfig as Schema, 'The county gateway ([gateway.md](gateway.md)).'),
    table('edge.yaml', EdgeConfig as Schema, 'One roadside box ([box.md](box.md)).'),
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(REFERENCE, configReference());
  process.stdout.write(`${REFERENCE}\n`);
}
