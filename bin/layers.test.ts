import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = ['protocols', 'hardware', 'edge', 'gateway', 'sim', 'bin'] as const;
type Layer = (typeof LAYERS)[number];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Import {
  from: string;
  fromLayer: Layer;
  to: string;
  toLayer: Layer | undefined;
  pkg: string | undefined;
}

const imports: Import[] = LAYERS.flatMap((layer) =>
  files(join(ROOT, layer)).flatMap((file) => {
    const src = readFileSync(file, 'utf8');
    return [...src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => {
      const spec = m[1];
      const rel = spec.startsWith('.') ? relative(ROOT, resolve(dirname(file), spec)) : undefined;
      return {
        from: relative(ROOT, file),
        fromLayer: layer,
        to: rel ?? spec,
        toLayer: rel ? (rel.split('/')[0] as Layer) : undefined,
        pkg: rel ? undefined : spec,
      };
    });
  }),
);
const isTest = (i: Import) => i.from.endsWith('.test.ts');
const cross = (i: Import) => i.toLayer !== undefined && i.toLayer !== i.fromLayer;
const show = (xs: Import[]) => xs.map((i) => `${i.from} → ${i.to}`);

describe('layers point one way', () => {
  it('found the imports it checks', () => {
    expect(imports.filter(cross).length).toBeGreaterThan(10);
  });

  it('protocols imports nothing of ours', () => {
    expect(show(imports.filter((i) => i.fromLayer === 'protocols' && cross(i)))).toEqual([]);
  });

  it('hardware knows no MQTT and none of edge, gateway, sim', () => {
    const bad = imports.filter(
      (i) =>
        i.fromLayer === 'hardware' &&
        !isTest(i) &&
        (['edge', 'gateway', 'sim', 'bin'].includes(i.toLayer ?? '') || /mqtt|aedes/.test(i.pkg ?? '')),
    );
    expect(show(bad)).toEqual([]);
  });

  it('edge and gateway never import each other', () => {
    const bad = imports.filter(
      (i) => (i.fromLayer === 'edge' && i.toLayer === 'gateway') || (i.fromLayer === 'gateway' && i.toLayer === 'edge'),
    );
    expect(show(bad)).toEqual([]);
  });

  it('nothing imports sim except tests and the CLI', () => {
    const bad = imports.filter(
      (i) => i.toLayer === 'sim' && i.fromLayer !== 'sim' && i.fromLayer !== 'bin' && !isTest(i),
    );
    expect(show(bad)).toEqual([]);
  });

  it("other folders use a folder's public face (its index.ts; its cli.ts for bin), tests excepted", () => {
    // The browser bundle takes the dashboard's API types straight from their file: protocols' index pulls in Node code.
    const browserTypes = (i: Import) =>
      i.from.startsWith('gateway/dashboard/app/') && i.to === 'protocols/dashboard-api.ts';
    const face = (i: Import) =>
      /^[a-z]+\/index\.ts$/.test(i.to) || (i.fromLayer === 'bin' && /^[a-z]+\/cli\.ts$/.test(i.to)) || browserTypes(i);
    const bad = imports.filter((i) => cross(i) && !isTest(i) && i.toLayer !== 'bin' && !face(i));
    expect(show(bad)).toEqual([]);
  });
});

describe('gateway modules', () => {
  it('no gateway file imports main.ts: modules get the context and the services they name, never the gateway', () => {
    const bad = imports.filter(
      (i) => i.to === 'gateway/main.ts' && i.fromLayer === 'gateway' && !isTest(i) && i.from !== 'gateway/index.ts',
    );
    expect(imports.some((i) => i.to === 'gateway/main.ts')).toBe(true);
    expect(show(bad)).toEqual([]);
  });

  it('every feature folder with routes or a store has a module.ts', () => {
    const folders = [
      ...new Set(
        files(join(ROOT, 'gateway'))
          .map((f) => relative(join(ROOT, 'gateway'), f).split('/'))
          .filter((p) => p.length === 2)
          .map((p) => p[0]),
      ),
    ];
    const needsModule = folders.filter((d) =>
      ['routes.ts', 'migrations.ts'].some((f) => existsSync(join(ROOT, 'gateway', d, f))),
    );
    expect(needsModule.length).toBeGreaterThan(5);
    expect(needsModule.filter((d) => !existsSync(join(ROOT, 'gateway', d, 'module.ts')))).toEqual([]);
  });
});

describe('SQL lives in stores and queries', () => {
  // SQLite and PostgreSQL sit behind the same store interfaces (store/sql.ts): only these files may speak SQL.
  const speaksSql = (f: string) =>
    /\.prepare\(|\bdb\.exec\(|\b(sql|tx)\.(all|get|run|transaction)\(/.test(readFileSync(join(ROOT, f), 'utf8'));
  const allowed = (f: string) => /-(store|query)\.ts$/.test(f) || f.startsWith('gateway/store/');
  const gatewayFiles = files(join(ROOT, 'gateway'))
    .map((f) => relative(ROOT, f))
    .filter((f) => !f.endsWith('.test.ts') && !f.includes('/dashboard/app/'));

  it('finds the SQL it checks', () => {
    expect(gatewayFiles.filter(speaksSql).length).toBeGreaterThan(10);
  });

  it('no gateway file outside *-store.ts, *-query.ts and store/ prepares or runs SQL', () => {
    expect(gatewayFiles.filter((f) => speaksSql(f) && !allowed(f))).toEqual([]);
  });
});
