import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configReference, REFERENCE } from '../scripts/config-reference.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const CJK = /[\u4e00-\u9fff]/;

/** The relative links and images of a page, as paths from the repository root. */
function links(page: string): string[] {
  // Code is not prose: a pattern in a code span may look like a link.
  const text = readFileSync(join(ROOT, page), 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((l) => l && !/^[a-z]+:/.test(l))
    .map((l) => normalize(join(dirname(page), l)));
}

describe('the docs', () => {
  it('README is short (≤ 8 KB), in Chinese and English, and points to the docs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(8 * 1024);
    expect(readme).toMatch(CJK);
    expect(readme).toMatch(/\bSet-up\b/);
    expect(readme).toMatch(/npm ci && npm start/);
    expect(readme).toMatch(/npm test/);
  });

  it('every relative link and image on every page leads to a file that exists', () => {
    const broken = pages.flatMap((p) =>
      links(p)
        .filter((l) => !existsSync(join(ROOT, l)))
        .map((l) => `${p} → ${l}`),
    );
    expect(broken).toEqual([]);
  });

  it('every page can be reached from the README', () => {
    const seen = new Set(['README.md']);
    const queue = ['README.md'];
    while (queue.length)
      for (const l of links(queue.shift()!)) if (l.endsWith('.md') && !seen.has(l)) seen.add(l) && queue.push(l);
    expect(pages.filter((p) => !seen.has(p)).map((p) => relative(ROOT, join(ROOT, p)))).toEqual([]);
  });

  it('the config reference is what the schemas say (node --import tsx scripts/config-reference.ts writes it)', () => {
    expect(readFileSync(REFERENCE, 'utf8')).toBe(configReference());
  });

  it('technician and county pages put Chinese first', () => {
    const english = pages
      .filter((p) => /^docs\/(technician|county)\//.test(p))
      .filter((p) => !CJK.test(readFileSync(join(ROOT, p), 'utf8').split('\n')[0]!));
    expect(english).toEqual([]);
  });
});
