import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataOpts } from '../cli-options.ts';
import { loadGatewayConfig, resolveDataDir } from '../config/load-config.ts';
import { openDatabase } from './database.ts';
import { loadStorageKey } from './key-file.ts';
import { SqliteSql } from './sqlite-sql.ts';

/**
 * Admin commands work straight in the database, so they work with the gateway stopped too, and a
 * running gateway picks up what they change (credential-watch.ts). They say which data dir they
 * used; those that only read refuse a data dir without a database instead of making an empty one.
 */
export async function withAdminDb<T>(
  o: DataOpts,
  mode: 'read' | 'write',
  fn: (sql: SqliteSql, dataDir: string) => Promise<T> | T,
): Promise<T> {
  const config = o.config ? loadGatewayConfig(o.config) : undefined;
  const dataDir = resolveDataDir(o, config);
  const exists = existsSync(join(dataDir, 'gateway.db'));
  if (!exists && mode === 'read') {
    throw new Error(
      `no gateway database in ${dataDir} (start the gateway once with this data dir, or name the right one with --config or --data-dir)`,
    );
  }
  process.stderr.write(`data: ${dataDir}${exists ? '' : ' (new: no gateway had used it yet)'}\n`);
  const db = openDatabase(dataDir, loadStorageKey(config ?? {}, dataDir));
  const sql = new SqliteSql(db);
  try {
    return await fn(sql, dataDir);
  } finally {
    await sql.close();
  }
}
