// The embedded backend: one SQLite file used as a revision log, the design kine uses to give
// k3s an etcd on SQL. Every write appends one row; the row id is the revision. A key's state at
// revision R is its newest row with id <= R (absent if that row is a deletion). Compaction
// deletes rows no read at or above the compacted revision can see.
//
// better-sqlite3 is synchronous and the server is one process, so every operation runs to
// completion on the event loop: writes are serialized without locks, and a watch that reads
// its backlog and registers in the same tick can neither miss nor repeat an event.
import { chmodSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { prefixEnd } from './key-range.js';
import { Subscriber } from './subscriber.js';
import {
  CompactedError, KeyExistsError, NotFoundError, RevisionMismatchError, StorageError,
  type KeyValue, type ListOptions, type ListResult, type Storage, type Watch, type WatchEvent,
  type WatchOptions,
} from './interface.js';

export interface SqliteStorageOptions {
  /** The database file; created with its parent's permissions if missing. */
  path: string;
  /** How often idle watchers get onProgress (ms). Default 5000. */
  progressIntervalMs?: number;
  /**
   * 'full' (default) fsyncs every commit, so an acknowledged write survives power loss as it
   * does in etcd; 'normal' only survives a process crash, and writes several times faster.
   */
  durability?: 'full' | 'normal';
}

// Bumped when the table layout changes; a file from a newer Skiff is refused, not misread.
const SCHEMA_VERSION = 1;

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: Buffer | null;
  old_value: Buffer | null;
}

const EMPTY = Buffer.alloc(0);

/** Opens (creating if needed) a SQLite revision log at `opts.path`. */
export function openSqliteStorage(opts: SqliteStorageOptions): SqliteStorage {
  return new SqliteStorage(opts);
}

interface SqliteWatcher {
  subscriber: Subscriber;
  prefix: string;
  rangeEnd: string | undefined;
}

function matches(w: SqliteWatcher, key: string): boolean {
  return key >= w.prefix && (w.rangeEnd === undefined || key < w.rangeEnd);
}

/** Storage over an embedded SQLite revision log (see the README for the table layout). */
export class SqliteStorage implements Storage {
  readonly name = 'sqlite';
  private readonly db: Database.Database;
  private readonly watchers = new Set<SqliteWatcher>();
  private readonly progressTimer: NodeJS.Timeout;
  private closed = false;
  private compactRevision: number;

  private readonly stmt: {
    latest: Database.Statement<[string], Row>;
    latestAt: Database.Statement<[string, number], Row>;
    insert: Database.Statement<[string, number, number, number, number, Buffer, Buffer | null], { id: number }>;
    revision: Database.Statement<[], { seq: number }>;
    since: Database.Statement<[number], Row>;
    getMeta: Database.Statement<[string], { value: number }>;
    setMeta: Database.Statement<[string, number]>;
    compact: Database.Statement<[{ rev: number }]>;
    listRange: Database.Statement<[string, string, number, number], Row>;
    listAll: Database.Statement<[string, number, number], Row>;
  };

  constructor(opts: SqliteStorageOptions) {
    try {
      const created = !existsSync(opts.path);
      this.db = new Database(opts.path);
      // The file holds Secrets: owner-only, like etcd's data dir. SQLite gives the -wal and
      // -shm files the database file's permissions.
      if (created) chmodSync(opts.path, 0o600);
    } catch (err) {
      throw new StorageError(`open SQLite storage ${opts.path}: ${(err as Error).message}`, { cause: err });
    }
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      this.db.close();
      throw new StorageError(
        `open SQLite storage ${opts.path}: schema version ${version} is newer than this Skiff understands (${SCHEMA_VERSION}); upgrade Skiff`);
    }
    // WAL lets readers (and a concurrent backup) run while a write commits.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${opts.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        create_revision INTEGER NOT NULL,
        prev_revision INTEGER NOT NULL,
        value BLOB NOT NULL,
        old_value BLOB
      );
      CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
    this.stmt = {
      latest: this.db.prepare('SELECT * FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1'),
      latestAt: this.db.prepare('SELECT * FROM kv WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1'),
      insert: this.db.prepare(`INSERT INTO kv (name, created, deleted, create_revision, prev_revision, value, old_value)
        VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
      // AUTOINCREMENT keeps the highest id ever used here, so the revision never goes back even
      // when compaction deletes the newest row (a tombstone).
      revision: this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kv'`),
      since: this.db.prepare('SELECT * FROM kv WHERE id > ? ORDER BY id'),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE name = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
      // A row is invisible to every read at revision >= R when a newer row of the same key is
      // also <= R, or when it is a deletion that is the key's newest row <= R.
      compact: this.db.prepare(`DELETE FROM kv WHERE id <= @rev AND (deleted = 1 OR id <
        (SELECT MAX(k2.id) FROM kv AS k2 WHERE k2.name = kv.name AND k2.id <= @rev))`),
      listRange: this.db.prepare(listSql('name >= ? AND name < ?')),
      listAll: this.db.prepare(listSql('name >= ?')),
    };
    this.compactRevision = this.stmt.getMeta.get('compact_revision')?.value ?? 0;
    this.progressTimer = setInterval(() => this.sendProgress(), opts.progressIntervalMs ?? 5000);
    this.progressTimer.unref();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.live(this.stmt.latest.get(key));
  }

  async list(opts: ListOptions): Promise<ListResult> {
    this.checkOpen();
    const current = this.revisionNow();
    const revision = opts.revision && opts.revision > 0 ? opts.revision : current;
    if (revision < this.compactRevision) throw new CompactedError(revision, this.compactRevision);
    if (revision > current) {
      throw new StorageError(`list ${opts.prefix}: revision ${revision} is in the future (current revision ${current})`);
    }
    const from = opts.startKey !== undefined && opts.startKey > opts.prefix ? opts.startKey : opts.prefix;
    const end = prefixEnd(opts.prefix);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const rows = end === undefined
      ? this.stmt.listAll.all(from, revision, limit < 0 ? -1 : limit + 1)
      : this.stmt.listRange.all(from, end, revision, limit < 0 ? -1 : limit + 1);
    const more = limit > 0 && rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toKeyValue);
    return { items, revision, more };
  }

  async create(key: string, value: Buffer): Promise<number> {
    this.checkOpen();
    const { revision, event } = this.db.transaction(() => {
      const prev = this.stmt.latest.get(key);
      if (prev && !prev.deleted) throw new KeyExistsError(key);
      // A created row's create_revision is its own id, which is only known after the insert;
      // 0 is stored and toKeyValue reads it as the row id.
      const id = this.stmt.insert.get(key, 1, 0, 0, prev?.id ?? 0, value, null)!.id;
      const kv = { key, value, createRevision: id, modRevision: id };
      return { revision: id, event: { type: 'put', kv, created: true } satisfies WatchEvent };
    }).immediate();
    this.publish(event);
    return revision;
  }

  async update(key: string, value: Buffer, expectedRevision: number): Promise<number> {
    this.checkOpen();
    const { revision, event } = this.db.transaction(() => {
      const prev = this.checkRevision(key, expectedRevision);
      const createRevision = toKeyValue(prev).createRevision;
      const id = this.stmt.insert.get(key, 0, 0, createRevision, prev.id, value, prev.value)!.id;
      const event: WatchEvent = {
        type: 'put',
        kv: { key, value, createRevision, modRevision: id },
        prevKv: toKeyValue(prev),
        created: false,
      };
      return { revision: id, event };
    }).immediate();
    this.publish(event);
    return revision;
  }

  async delete(key: string, expectedRevision: number): Promise<number> {
    this.checkOpen();
    const { revision, event } = this.db.transaction(() => {
      const prev = this.checkRevision(key, expectedRevision);
      const createRevision = toKeyValue(prev).createRevision;
      const id = this.stmt.insert.get(key, 0, 1, createRevision, prev.id, EMPTY, prev.value)!.id;
      const event: WatchEvent = {
        type: 'delete',
        kv: { key, value: EMPTY, createRevision, modRevision: id },
        prevKv: toKeyValue(prev),
        created: false,
      };
      return { revision: id, event };
    }).immediate();
    this.publish(event);
    return revision;
  }

  watch(opts: WatchOptions): Watch {
    this.checkOpen();
    const watcher: SqliteWatcher = {
      subscriber: new Subscriber(opts, opts.afterRevision, () => this.watchers.delete(watcher)),
      prefix: opts.prefix,
      rangeEnd: prefixEnd(opts.prefix),
    };
    // Events at or below the compacted revision may be gone (a delete at exactly that
    // revision is), so only a watch from the compacted revision onwards is gap-free.
    if (opts.afterRevision < this.compactRevision) {
      watcher.subscriber.failLater(new CompactedError(opts.afterRevision, this.compactRevision));
      return watcher.subscriber;
    }
    // Backlog and registration happen in this one synchronous step: any write after it is
    // published to the registered watcher, any write before it is in the backlog.
    for (const row of this.stmt.since.iterate(opts.afterRevision)) {
      if (matches(watcher, row.name)) watcher.subscriber.enqueue(toEvent(row));
    }
    watcher.subscriber.cursor = Math.max(watcher.subscriber.cursor, this.revisionNow());
    this.watchers.add(watcher);
    return watcher.subscriber;
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.revisionNow();
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    const current = this.revisionNow();
    if (revision > current) {
      throw new StorageError(`compact storage to revision ${revision}: it is in the future (current revision ${current})`);
    }
    // Compacting to an already compacted revision is a no-op, so callers can retry blindly.
    if (revision <= this.compactRevision) return;
    this.db.transaction(() => {
      this.stmt.compact.run({ rev: revision });
      this.stmt.setMeta.run('compact_revision', revision);
    }).immediate();
    this.compactRevision = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.progressTimer);
    for (const w of [...this.watchers]) w.subscriber.cancel();
    this.db.close();
  }

  /** The revision the log has been compacted to (0: never). */
  compactedRevision(): number {
    return this.compactRevision;
  }

  private checkRevision(key: string, expected: number): Row {
    const prev = this.stmt.latest.get(key);
    if (!prev || prev.deleted) throw new NotFoundError(key);
    if (prev.id !== expected) throw new RevisionMismatchError(key, expected, toKeyValue(prev));
    return prev;
  }

  private publish(event: WatchEvent): void {
    for (const w of this.watchers) {
      if (matches(w, event.kv.key)) w.subscriber.enqueue(event);
    }
  }

  private sendProgress(): void {
    const revision = this.revisionNow();
    for (const w of [...this.watchers]) w.subscriber.progress(revision);
  }

  private revisionNow(): number {
    return this.stmt.revision.get()?.seq ?? 0;
  }

  private live(row: Row | undefined): KeyValue | undefined {
    return row && !row.deleted ? toKeyValue(row) : undefined;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('use SQLite storage: it has been closed');
  }
}

// Latest row per key at or below the revision (the (name, id) index answers MAX(id) per name,
// already in name order), then drop deletions. With CROSS JOIN fixing the join order, SQLite
// sees the rows already ordered by name: no sort, and LIMIT stops the scan early. old_value is
// not needed for a list and is left behind. The caller asks for one extra row to learn
// whether the limit cut the list short.
function listSql(range: string): string {
  return `SELECT kv.id, kv.name, kv.created, kv.deleted, kv.create_revision, kv.prev_revision, kv.value,
      NULL AS old_value
    FROM (SELECT MAX(id) AS id, name FROM kv WHERE ${range} AND id <= ? GROUP BY name ORDER BY name) AS latest
    CROSS JOIN kv ON kv.id = latest.id
    WHERE kv.deleted = 0 ORDER BY latest.name LIMIT ?`;
}

function toKeyValue(row: Row): KeyValue {
  return {
    key: row.name,
    value: row.value ?? EMPTY,
    createRevision: row.created ? row.id : row.create_revision,
    modRevision: row.id,
  };
}

function toEvent(row: Row): WatchEvent {
  const createRevision = row.created ? row.id : row.create_revision;
  const prevKv = row.created || !row.old_value ? undefined : {
    key: row.name, value: row.old_value, createRevision, modRevision: row.prev_revision,
  };
  if (row.deleted) {
    return { type: 'delete', kv: { key: row.name, value: EMPTY, createRevision, modRevision: row.id }, prevKv, created: false };
  }
  return { type: 'put', kv: toKeyValue(row), prevKv, created: row.created === 1 };
}
