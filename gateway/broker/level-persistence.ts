import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Level } from 'level';
import type { Logger } from 'pino';

// aedes 1.x wants an async persistence; the package's main export wraps it in the callback API.
const AsyncLevelPersistence = createRequire(import.meta.url)('aedes-persistence-level/asyncPersistence.js') as new (db: Level<string, unknown>) => {
  storeRetained(packet: unknown): Promise<void>;
};

export interface LevelPersistence {
  persistence: unknown;
  close(): Promise<void>;
}

/**
 * aedes' sessions, subscriptions, queued QoS 1 messages and retained messages in LevelDB.
 *
 * Retained messages are written behind: aedes 1.2 loses a retained publish when the same client's
 * next publish arrives while the retained store is still pending (seen here with LevelDB: a box's
 * retained "online" birth followed at once by telemetry never reached any subscriber). Answering
 * storeRetained at once and writing in the background avoids that; a crash can lose only the
 * newest retained update, which devices re-publish on reconnect.
 */
export function openLevelPersistence(dataDir: string, log?: Logger): LevelPersistence {
  const db = new Level<string, unknown>(join(dataDir, 'broker'));
  const p = new AsyncLevelPersistence(db);
  const store = p.storeRetained.bind(p);
  const pending = new Set<Promise<void>>();
  p.storeRetained = (packet: unknown) => {
    const w = store(packet)
      .catch((e: Error) => log?.error({ err: e.message }, 'could not store a retained message'))
      .finally(() => pending.delete(w));
    pending.add(w);
    return Promise.resolve();
  };
  return {
    persistence: p,
    close: async () => {
      await Promise.all(pending);
      await db.close();
    },
  };
}
