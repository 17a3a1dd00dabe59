// The persistence conformance suite that ships with aedes-persistence (node:test), run against
// SqlitePersistence: each test gets a fresh broker.db. Started by persistence-conformance.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqlitePersistence } from './sqlite-persistence-store.ts';

const abstractPersistence = createRequire(import.meta.url)('aedes-persistence/abstract.js') as (o: object) => void;

abstractPersistence({
  test,
  persistence: () => new SqlitePersistence(mkdtempSync(join(tmpdir(), 'rw-conf-')), randomBytes(32)),
  testAsync: true,
});
