import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { loadStorageKey } from '../../gateway/index.ts';
import { databaseKey, openSealedDatabase } from '../../protocols/index.ts';

/**
 * A gateway data dir's database file (gateway.db, broker.db), opened under the key the gateway
 * derives for it from the data dir's storage key: what a test reads behind the gateway's back.
 */
export function openGatewayFile(dataDir: string, name: 'gateway.db' | 'broker.db'): Database.Database {
  return openSealedDatabase(join(dataDir, name), databaseKey(loadStorageKey({}, dataDir), name));
}
