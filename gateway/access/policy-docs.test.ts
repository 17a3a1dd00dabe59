import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, type Permission } from './policy.ts';

// The access table in docs/county/roles.md is what people read; it must say what the code does.
describe('the access table in docs/county/roles.md', () => {
  const readme = readFileSync(new URL('../../docs/county/roles.md', import.meta.url), 'utf8');
  const table = readme.split('<!-- access-table:start -->')[1]?.split('<!-- access-table:end -->')[0] ?? '';
  const rows = table
    .trim()
    .split('\n')
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );

  it('has one column per role, in order', () => {
    expect(rows[0]).toEqual(['Permission', ...ROLES]);
  });

  it('has one row per permission with its meaning and the roles that hold it', () => {
    const documented = rows.slice(2).map(([first, ...marks]) => {
      const [, perm, text] = /^`([a-z.]+)` (.*)$/.exec(first) ?? [];
      return { perm, text, roles: ROLES.filter((_, i) => marks[i] === '✓') };
    });
    const actual = (Object.keys(PERMISSIONS) as Permission[]).map((perm) => ({
      perm,
      text: PERMISSIONS[perm],
      roles: ROLES.filter((r) => ROLE_PERMISSIONS[r].has(perm)),
    }));
    expect(documented).toEqual(actual);
  });
});
