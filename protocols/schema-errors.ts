import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';

type Props = Record<string, { const?: unknown }>;

/**
 * A union's own error ("Expected union value") says nothing useful. Explain it by the variant the
 * value meant — the one whose literal fields (`type`, `name`…) it matches — or else the closest.
 */
export function explainError(e: ValueError): ValueError {
  const variants = (e.schema as { anyOf?: TSchema[] }).anyOf;
  if (!variants || e.schema[Kind] !== 'Union') return e;
  const v = e.value as Record<string, unknown> | null;
  const meant = variants.filter((s) => {
    const props = (s as { properties?: Props }).properties ?? {};
    const literals = Object.entries(props).filter(([, p]) => p && 'const' in p);
    return literals.length > 0 && literals.every(([k, p]) => v?.[k] === p.const);
  });
  const best = (meant.length ? meant : variants)
    .map((s) => [...Value.Errors(s, e.value)])
    .sort((a, b) => a.length - b.length)[0]?.[0];
  return best ? explainError({ ...best, path: e.path + best.path }) : e;
}
