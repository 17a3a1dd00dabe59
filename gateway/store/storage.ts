import { GATEWAY_PG_SCHEMAS } from '../migrations.ts';
import type { GatewayConfig } from '../config/schema.ts';
import { type MigrationBackupHook, openSqliteStore } from './database.ts';
import { PostgresSql } from './postgres-sql.ts';
import type { SqlDatabase } from './sql.ts';

/**
 * The gateway's database as configured: PostgreSQL at `storage.url` (migrated, shared by every
 * worker), else SQLite in the data dir, encrypted under the storage key. PostgreSQL files are not
 * encrypted by roadwarden: the database server's disk must be (see the production notes).
 */
export async function openStorage(
  config: GatewayConfig,
  dataDir: string,
  storageKey: Buffer,
  onMigrationBackup?: MigrationBackupHook,
): Promise<SqlDatabase> {
  const s = config.storage;
  if (!s?.url) return openSqliteStore(dataDir, storageKey, onMigrationBackup);
  const sql = await PostgresSql.connect({ url: s.url, password: s.password, poolSize: s.poolSize, schema: s.schema });
  try {
    await sql.migrate(GATEWAY_PG_SCHEMAS);
  } catch (e) {
    await sql.close();
    throw e;
  }
  return sql;
}
