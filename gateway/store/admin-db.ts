import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataOpts } from '../cli-options.ts';
import { loadGatewayConfig, resolveDataDir } from '../config/load-config.ts';
import { loadStorageKey } from './key-file.ts';
import type { SqlDatabase } from './sql.ts';
import { openStorage } from './storage.ts';

/**
 * Admin commands work straight in the database, so they work with the gateway stopped too, and a
 * running gateway picks up what they change (credential-watch.ts). They say which data dir (or
 * PostgreSQL database) they used; on SQLite those that only read refuse a data dir without a
 * database instead of making an empty one.
 */
export async function withAdminDb<T>(
  o: DataOpts,
  mode: 'read' | 'write',
  fn: (sql: SqlDatabase, dataDir: string) => Promise<T> | T,
): Promise<T> {
  const config = o.config ? loadGatewayConfig(o.config) : {};
  const dataDir = resolveDataDir(o, config);
  if (config.storage?.url) {
    process.stderr.write(`data: ${dataDir}; database: ${config.storage.url}\n`);
  } else {
    const exists = existsSync(join(dataDir, 'gateway.db'));
    if (!exists && mode === 'read') {
      throw new Error(
        `no gateway database in ${dataDir} (start the gateway once with this data dir, or name the right one with --config or --data-dir)`,
      );
    }
    process.stderr.write(`data: ${dataDir}${exists ? '' : ' (new: no gateway had used it yet)'}\n`);
  }
  const sql = await openStorage(config, dataDir, loadStorageKey(config, dataDir), (backup, from, to) =>
    process.stderr.write(`database schema ${from} → ${to}; the database as it was is kept in ${backup}\n`),
  );
  try {
    return await fn(sql, dataDir);
  } finally {
    await sql.close();
  }
}
