// What only the SQLite backend has to get right: the file itself.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, openStorage } from '../../../apiserver/storage/index.js';

describe('sqlite storage file', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'skiff-storage-sqlite-')); });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('is created owner-only, since it holds Secrets', async () => {
    const path = join(dir, 'state.db');
    const store = openStorage({ sqlitePath: path });
    await store.create('/registry/secrets/default/s', Buffer.from('token'));
    await store.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a file written by a newer schema instead of misreading it', () => {
    const path = join(dir, 'future.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openStorage({ sqlitePath: path })).toThrow(StorageError);
    expect(() => openStorage({ sqlitePath: path })).toThrow(/schema version 99/);
  });
});
