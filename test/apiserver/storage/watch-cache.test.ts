// The watch cache's recovery when its one upstream watch fails: every watcher is told to
// re-list (CompactedError -> 410), and the cache rebuilds itself from a fresh list.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CompactedError, StorageError, WatchCache, openStorage, type Storage, type WatchEvent, type WatchOptions,
} from '../../../apiserver/storage/index.js';

/** A real store whose watches the test can break, as a lost etcd watch or a compaction would. */
function breakableWatches(storage: Storage) {
  const live: { opts: WatchOptions; cancel: () => void }[] = [];
  const wrapped: Storage = Object.create(storage, {
    watch: {
      value: (opts: WatchOptions) => {
        const w = storage.watch(opts);
        live.push({ opts, cancel: () => w.cancel() });
        return w;
      },
    },
  });
  const breakAll = (err: Error) => {
    for (const w of live.splice(0)) { w.cancel(); w.opts.onError(err); }
  };
  return { storage: wrapped, breakAll };
}

describe('watch cache recovery', () => {
  let dir: string;
  let store: Storage;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-storage-cache-'));
    store = openStorage({ sqlitePath: join(dir, 'state.db'), progressIntervalMs: 100 });
  });
  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ends every watcher with CompactedError and re-lists after the upstream watch fails', async () => {
    const p = '/registry/pods/';
    const { storage, breakAll } = breakableWatches(store);
    const r1 = await store.create(`${p}default/a`, Buffer.from('a'));
    const cache = new WatchCache(storage, { prefix: p, restartDelayMs: 50 });
    await cache.start();
    try {
      const errors: Error[] = [];
      const events: WatchEvent[] = [];
      cache.watch({ afterRevision: r1, onEvents: (b) => events.push(...b), onError: (e) => errors.push(e) });
      const r2 = await store.create(`${p}default/b`, Buffer.from('b'));
      await vi.waitFor(() => expect(events.map((e) => e.kv.modRevision)).toEqual([r2]), { timeout: 10_000 });

      breakAll(new StorageError('upstream watch lost'));
      await vi.waitFor(() => expect(errors[0]).toBeInstanceOf(CompactedError), { timeout: 10_000 });
      // A write made around the outage shows up once the cache has re-listed.
      const r3 = await store.create(`${p}kube-system/c`, Buffer.from('c'));
      await vi.waitFor(() => {
        expect(cache.isReady).toBe(true);
        expect(cache.snapshot().items.map((kv) => kv.key)).toEqual([`${p}default/a`, `${p}default/b`, `${p}kube-system/c`]);
      }, { timeout: 10_000 });
      expect(cache.snapshot(`${p}default/`).items).toHaveLength(2);
      expect(cache.revision()).toBeGreaterThanOrEqual(r3);

      // Watching from before the re-list (the list was at r2 or later) is now outside the
      // window; from the cache's revision it works.
      const old: Error[] = [];
      cache.watch({ afterRevision: r1, onEvents: () => {}, onError: (e) => old.push(e) });
      await vi.waitFor(() => expect(old[0]).toBeInstanceOf(CompactedError), { timeout: 10_000 });
      const fresh: WatchEvent[] = [];
      cache.watch({ afterRevision: cache.revision(), onEvents: (b) => fresh.push(...b), onError: (e) => { throw e; } });
      const r4 = await store.create(`${p}default/d`, Buffer.from('d'));
      await vi.waitFor(() => expect(fresh.map((e) => e.kv.modRevision)).toEqual([r4]), { timeout: 10_000 });
      expect(errors).toHaveLength(1);
    } finally {
      cache.stop();
    }
  });

  it('sends idle watchers progress revisions for bookmarks', async () => {
    const p = '/registry/nodes/';
    const rev = await store.create(`${p}n1`, Buffer.from('n1'));
    const cache = new WatchCache(store, { prefix: p });
    await cache.start();
    try {
      const progress: number[] = [];
      cache.watch({ afterRevision: rev, onEvents: () => {}, onError: (e) => { throw e; }, onProgress: (r) => progress.push(r) });
      await vi.waitFor(() => expect(progress.some((r) => r >= rev)).toBe(true), { timeout: 10_000 });
    } finally {
      cache.stop();
    }
  });
});
