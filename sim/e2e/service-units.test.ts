import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));
const ANALYZE = '/usr/bin/systemd-analyze';

/** Every systemd unit shipped in examples/ (the box's, the gateway's, the prefecture's). */
function units(dir = EXAMPLES): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? units(join(dir, e.name)) : e.name.endsWith('.service') ? [join(dir, e.name)] : [],
  );
}

describe('the systemd units in examples/', () => {
  it.skipIf(!existsSync(ANALYZE))(
    'are accepted by systemd-analyze verify without a warning (skips where systemd-analyze is not installed)',
    () => {
      const found = units();
      expect(found.map((f) => f.slice(EXAMPLES.length + 1)).sort()).toEqual([
        'prefecture/roadwarden-rabbitmq-auth.service',
        'prefecture/roadwarden-worker@.service',
        'roadwarden-edge.service',
        'roadwarden-gateway.service',
      ]);
      for (const unit of found) {
        // systemd only warns about an unknown key or a bad value, and exits 0: any word from it is a fault.
        const r = spawnSync(ANALYZE, ['verify', unit], { encoding: 'utf8' });
        expect(`${r.stdout}${r.stderr}`, unit).toBe('');
        expect(r.status, unit).toBe(0);
      }
    },
  );

  it('run the commands the CLI has, from the install path the docs give', () => {
    for (const unit of units()) {
      const text = readFileSync(unit, 'utf8');
      const exec = [...text.matchAll(/^Exec\w*=(.*)$/gm)].map((m) => m[1]!);
      expect(exec.length, unit).toBeGreaterThan(0);
      for (const line of exec)
        expect(line, unit).toMatch(
          /^\/usr\/bin\/node \/opt\/roadwarden\/current\/bin\/roadwarden\.js (edge|gateway)\b/,
        );
      expect(text, unit).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text, unit).toMatch(/^ProtectSystem=strict$/m);
    }
  });
});
