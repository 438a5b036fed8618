// The storage layer's public surface: one revision-based interface, two backends, and the
// watch cache the API server serves watches from. See README.md for the revision model.
import { openEtcdStorage } from './etcd.js';
import type { Storage } from './interface.js';
import { openSqliteStorage } from './sqlite.js';

export * from './interface.js';
export { EtcdStorage, openEtcdStorage, type EtcdStorageOptions } from './etcd.js';
export { SqliteStorage, openSqliteStorage, type SqliteStorageOptions } from './sqlite.js';
export { startCompactor, type Compactor, type CompactorOptions } from './compactor.js';
export { WatchCache, type WatchCacheOptions, type CacheWatchOptions, type CacheSnapshot } from './watch-cache.js';

/** Where the data lives: an embedded SQLite file, or an etcd cluster. */
export type StorageConfig =
  | { sqlitePath: string; progressIntervalMs?: number; durability?: 'full' | 'normal' }
  | { etcdEndpoints: string[]; prefix?: string; progressIntervalMs?: number };

/** Opens the configured backend (`skiff server` uses `<data-dir>/state.db` unless --etcd-endpoints is given). */
export function openStorage(config: StorageConfig): Storage {
  if ('sqlitePath' in config) {
    return openSqliteStorage({ path: config.sqlitePath, progressIntervalMs: config.progressIntervalMs, durability: config.durability });
  }
  return openEtcdStorage({ endpoints: config.etcdEndpoints, prefix: config.prefix, progressIntervalMs: config.progressIntervalMs });
}
