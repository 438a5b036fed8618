// One suite, both backends: whatever the API server relies on must hold for SQLite and etcd alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CompactedError, KeyExistsError, NotFoundError, RevisionMismatchError, openStorage, startCompactor, WatchCache,
  type Storage, type WatchEvent,
} from '../../../apiserver/storage/index.js';
import { startEtcd, testEtcdEndpoint, type EtcdServer } from '../../harness/etcd.js';

interface Backend {
  name: string;
  /** The store every test shares (each test uses its own key prefix). */
  open(): Promise<Storage>;
  /** A second handle on the same data, as after a restart. */
  reopen(): Promise<Storage>;
  /** A store of its own, for tests that compact (compaction is store-wide). */
  openIsolated(): Promise<Storage>;
  cleanup(): Promise<void>;
}

const PROGRESS_MS = 200;

function sqliteBackend(): Backend {
  // Made on first open: describe.each builds every backend even when a filter skips its tests.
  let dir: string | undefined;
  const path = (name: string) => join(dir ??= mkdtempSync(join(tmpdir(), 'skiff-storage-test-')), name);
  let isolated = 0;
  return {
    name: 'sqlite',
    open: async () => openStorage({ sqlitePath: path('state.db'), progressIntervalMs: PROGRESS_MS }),
    reopen: async () => openStorage({ sqlitePath: path('state.db'), progressIntervalMs: PROGRESS_MS }),
    openIsolated: async () => openStorage({ sqlitePath: path(`isolated-${++isolated}.db`), progressIntervalMs: PROGRESS_MS }),
    cleanup: async () => { if (dir) rmSync(dir, { recursive: true, force: true }); },
  };
}

function etcdBackend(): Backend {
  // Each run of this file gets its own prefix inside the shared etcd.
  const prefix = `/skiff-test/storage-conformance-${process.pid}-${Date.now()}`;
  const privateServers: EtcdServer[] = [];
  return {
    name: 'etcd',
    open: async () => openStorage({ etcdEndpoints: [testEtcdEndpoint()], prefix, progressIntervalMs: PROGRESS_MS }),
    reopen: async () => openStorage({ etcdEndpoints: [testEtcdEndpoint()], prefix, progressIntervalMs: PROGRESS_MS }),
    openIsolated: async () => {
      const server = await startEtcd({ name: 'skiff-storage-test' });
      privateServers.push(server);
      return openStorage({ etcdEndpoints: [server.endpoint], progressIntervalMs: PROGRESS_MS });
    },
    cleanup: async () => { for (const s of privateServers) await s.stop(); },
  };
}

/** Records everything a watch delivers. */
function record(storage: Storage, prefix: string, afterRevision: number) {
  const events: WatchEvent[] = [];
  const progress: number[] = [];
  const errors: Error[] = [];
  const watch = storage.watch({
    prefix, afterRevision,
    onEvents: (batch) => events.push(...batch),
    onError: (err) => errors.push(err),
    onProgress: (rev) => progress.push(rev),
  });
  return { events, progress, errors, watch, revisions: () => events.map((e) => e.kv.modRevision) };
}

const buf = (s: string) => Buffer.from(s);
let prefixCounter = 0;
const freshPrefix = (name: string) => `/registry/conformance-${name}-${++prefixCounter}/`;

describe.each([
  { name: 'sqlite', makeBackend: sqliteBackend },
  { name: 'etcd', makeBackend: etcdBackend },
])('storage conformance: $name', ({ makeBackend }) => {
  const backend = makeBackend();
  let store: Storage;
  const opened: Storage[] = [];
  const track = (s: Storage) => { opened.push(s); return s; };

  beforeAll(async () => { store = track(await backend.open()); });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await backend.cleanup();
  });

  it(`${backend.name}: create is create-if-absent and get returns the value with its revisions`, async () => {
    const p = freshPrefix('create');
    const rev = await store.create(`${p}a`, buf('one'));
    expect(rev).toBeGreaterThan(0);
    await expect(store.create(`${p}a`, buf('two'))).rejects.toBeInstanceOf(KeyExistsError);
    const kv = await store.get(`${p}a`);
    expect(kv).toEqual({ key: `${p}a`, value: buf('one'), createRevision: rev, modRevision: rev });
    expect(await store.get(`${p}missing`)).toBeUndefined();
    expect(await store.currentRevision()).toBeGreaterThanOrEqual(rev);
  });

  it(`${backend.name}: list honours prefix, revision, startKey and limit`, async () => {
    const p = freshPrefix('list');
    await store.create(`${p.slice(0, -1)}x/outside`, buf('other prefix'));
    const ra = await store.create(`${p}a`, buf('a1'));
    const rb = await store.create(`${p}b`, buf('b1'));
    const rc = await store.create(`${p}c`, buf('c1'));
    const before = await store.currentRevision();
    await store.update(`${p}a`, buf('a2'), ra);
    await store.delete(`${p}b`, rb);
    await store.create(`${p}d`, buf('d1'));

    const latest = await store.list({ prefix: p });
    expect(latest.items.map((kv) => [kv.key, kv.value.toString()])).toEqual([
      [`${p}a`, 'a2'], [`${p}c`, 'c1'], [`${p}d`, 'd1'],
    ]);
    expect(latest.revision).toBe(await store.currentRevision());
    expect(latest.more).toBe(false);

    const old = await store.list({ prefix: p, revision: before });
    expect(old.revision).toBe(before);
    expect(old.items.map((kv) => [kv.key, kv.value.toString(), kv.modRevision])).toEqual([
      [`${p}a`, 'a1', ra], [`${p}b`, 'b1', rb], [`${p}c`, 'c1', rc],
    ]);

    const page1 = await store.list({ prefix: p, limit: 2 });
    expect(page1.items.map((kv) => kv.key)).toEqual([`${p}a`, `${p}c`]);
    expect(page1.more).toBe(true);
    // A continue token carries the list revision and the key after the last one returned.
    const page2 = await store.list({ prefix: p, limit: 2, revision: page1.revision, startKey: `${page1.items[1].key}\0` });
    expect(page2.items.map((kv) => kv.key)).toEqual([`${p}d`]);
    expect(page2.more).toBe(false);
    expect(page2.revision).toBe(page1.revision);

    await expect(store.list({ prefix: p, revision: latest.revision + 1_000_000 })).rejects.toThrow(/future/);

    const fromC = await store.list({ prefix: p, startKey: `${p}c` });
    expect(fromC.items.map((kv) => kv.key)).toEqual([`${p}c`, `${p}d`]);
    const exact = await store.list({ prefix: p, limit: 3 });
    expect(exact.more).toBe(false);
  });

  it(`${backend.name}: a list larger than gRPC's default 4 MiB message comes back whole`, async () => {
    const p = freshPrefix('big');
    const big = Buffer.alloc(1024 * 1024, 'v'); // etcd accepts requests up to 1.5 MiB by default
    for (let i = 0; i < 5; i++) await store.create(`${p}k${i}`, big);
    const list = await store.list({ prefix: p });
    expect(list.items).toHaveLength(5);
    expect(list.items.every((kv) => kv.value.equals(big))).toBe(true);
  });

  it(`${backend.name}: update and delete are compare-and-swap on the mod revision`, async () => {
    const p = freshPrefix('cas');
    const r1 = await store.create(`${p}k`, buf('v1'));
    const r2 = await store.update(`${p}k`, buf('v2'), r1);
    expect(r2).toBeGreaterThan(r1);

    const stale = await store.update(`${p}k`, buf('lost'), r1).catch((e) => e);
    expect(stale).toBeInstanceOf(RevisionMismatchError);
    expect(stale.current).toMatchObject({ key: `${p}k`, value: buf('v2'), modRevision: r2, createRevision: r1 });
    expect((await store.get(`${p}k`))!.value).toEqual(buf('v2'));

    const staleDelete = await store.delete(`${p}k`, r1).catch((e) => e);
    expect(staleDelete).toBeInstanceOf(RevisionMismatchError);
    expect(staleDelete.current.modRevision).toBe(r2);

    const r3 = await store.delete(`${p}k`, r2);
    expect(r3).toBeGreaterThan(r2);
    expect(await store.get(`${p}k`)).toBeUndefined();
    await expect(store.delete(`${p}k`, r3)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.update(`${p}k`, buf('v'), r3)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.update(`${p}k`, buf('v'), 0)).rejects.toBeInstanceOf(NotFoundError);

    // Re-creating a deleted key starts a new life: a new create revision.
    const r4 = await store.create(`${p}k`, buf('again'));
    expect(await store.get(`${p}k`)).toMatchObject({ createRevision: r4, modRevision: r4 });
  });

  it(`${backend.name}: watch delivers every event after the revision, in order, with prevKv`, async () => {
    const p = freshPrefix('watch');
    const r1 = await store.create(`${p}a`, buf('a1'));
    const r2 = await store.update(`${p}a`, buf('a2'), r1);
    await store.create(`${p.slice(0, -1)}-sibling/x`, buf('not mine'));
    const w = record(store, p, r1);
    const r3 = await store.create(`${p}b`, buf('b1'));
    const r4 = await store.delete(`${p}a`, r2);
    await vi.waitFor(() => expect(w.revisions()).toEqual([r2, r3, r4]), { timeout: 10_000 });
    w.watch.cancel();
    const [update, create, del] = w.events;
    expect(update).toMatchObject({ type: 'put', created: false, kv: { key: `${p}a`, value: buf('a2'), createRevision: r1 } });
    expect(update.prevKv).toMatchObject({ value: buf('a1'), modRevision: r1 });
    expect(create).toMatchObject({ type: 'put', created: true, kv: { key: `${p}b`, createRevision: r3 } });
    expect(create.prevKv).toBeUndefined();
    expect(del).toMatchObject({ type: 'delete', created: false, kv: { key: `${p}a`, modRevision: r4 } });
    expect(del.prevKv).toMatchObject({ value: buf('a2'), modRevision: r2 });
    expect(w.errors).toEqual([]);

    // A cancelled watch hears nothing more.
    await store.create(`${p}c`, buf('c1'));
    const after = record(store, p, r4);
    await vi.waitFor(() => expect(after.events).toHaveLength(1), { timeout: 10_000 });
    after.watch.cancel();
    expect(w.events).toHaveLength(3);
  });

  it(`${backend.name}: watches started while writes race lose and repeat nothing`, async () => {
    const p = freshPrefix('race');
    const start = await store.currentRevision();
    const written: number[] = [];
    const watches: ReturnType<typeof record>[] = [record(store, p, start)];
    const starts: number[] = [start];
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 25; i++) {
        written.push(await store.create(`${p}w${w}-${i}`, buf(`${i}`)));
        if (w === 0 && i % 5 === 0) {
          // Start from a revision that is already in the past while other writes are in flight.
          const from = written.length ? written[Math.floor(written.length / 2)] : start;
          starts.push(from);
          watches.push(record(store, p, from));
        }
      }
    });
    await Promise.all(writers);
    const sorted = [...written].sort((a, b) => a - b);
    for (const [i, w] of watches.entries()) {
      const expected = sorted.filter((r) => r > starts[i]);
      await vi.waitFor(() => expect(w.revisions()).toEqual(expected), { timeout: 15_000 });
      w.watch.cancel();
      expect(w.errors).toEqual([]);
    }
  });

  it(`${backend.name}: idle watches get progress revisions for bookmarks`, async () => {
    const p = freshPrefix('progress');
    const rev = await store.create(`${p}a`, buf('a'));
    const w = record(store, p, rev - 1);
    await vi.waitFor(() => {
      expect(w.events).toHaveLength(1);
      expect(w.progress.some((r) => r >= rev)).toBe(true);
    }, { timeout: 10_000 });
    w.watch.cancel();
  });

  it(`${backend.name}: 50 concurrent read-modify-CAS writers lose no increment`, async () => {
    const key = `${freshPrefix('counter')}n`;
    await store.create(key, buf('0'));
    const increment = async () => {
      for (;;) {
        const kv = (await store.get(key))!;
        try {
          await store.update(key, buf(String(Number(kv.value.toString()) + 1)), kv.modRevision);
          return;
        } catch (err) {
          if (!(err instanceof RevisionMismatchError)) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, increment));
    expect((await store.get(key))!.value.toString()).toBe('50');
  });

  it(`${backend.name}: data and revisions survive close and reopen`, async () => {
    const p = freshPrefix('reopen');
    const rev = await store.create(`${p}a`, buf('kept'));
    const current = await store.currentRevision();
    const first = await backend.reopen();
    await first.close();
    const again = track(await backend.reopen());
    expect(await again.get(`${p}a`)).toEqual({ key: `${p}a`, value: buf('kept'), createRevision: rev, modRevision: rev });
    expect(await again.currentRevision()).toBeGreaterThanOrEqual(current);
    const next = await again.update(`${p}a`, buf('changed'), rev);
    expect(next).toBeGreaterThan(current);
  });

  it(`${backend.name}: compaction answers old reads and watches with CompactedError`, async () => {
    const iso = track(await backend.openIsolated());
    const p = '/registry/compaction/';
    const r1 = await iso.create(`${p}a`, buf('a1'));
    const r2 = await iso.update(`${p}a`, buf('a2'), r1);
    const r3 = await iso.create(`${p}b`, buf('b1'));
    const r4 = await iso.delete(`${p}b`, r3);
    const r5 = await iso.create(`${p}c`, buf('c1'));
    await iso.compact(r4);
    await iso.compact(r4); // again: a no-op, so a periodic compactor can retry blindly
    expect(await iso.currentRevision()).toBe(r5);
    await expect(iso.compact(r5 + 10)).rejects.toThrow(/future/);

    const listErr = await iso.list({ prefix: p, revision: r1 }).catch((e) => e);
    expect(listErr).toBeInstanceOf(CompactedError);
    expect(listErr.compacted).toBe(r4);
    const w = record(iso, p, r1);
    await vi.waitFor(() => expect(w.errors[0]).toBeInstanceOf(CompactedError), { timeout: 10_000 });
    expect(w.events).toEqual([]);

    // State at and after the compacted revision is intact.
    const atCompaction = await iso.list({ prefix: p, revision: r4 });
    expect(atCompaction.items.map((kv) => [kv.key, kv.value.toString()])).toEqual([[`${p}a`, 'a2']]);
    expect((await iso.list({ prefix: p })).items.map((kv) => kv.key)).toEqual([`${p}a`, `${p}c`]);
    const fromCompaction = record(iso, p, r4);
    await vi.waitFor(() => expect(fromCompaction.revisions()).toEqual([r5]), { timeout: 10_000 });
    fromCompaction.watch.cancel();
    // Just below the compacted revision is already too old: etcd has dropped the delete at r4.
    const edge = record(iso, p, r4 - 1);
    await vi.waitFor(() => expect(edge.errors[0]).toBeInstanceOf(CompactedError), { timeout: 10_000 });
    expect(edge.events).toEqual([]);
    expect((await iso.get(`${p}a`))!.modRevision).toBe(r2);
  });

  it(`${backend.name}: the compactor keeps one interval of history and forgets the rest`, async () => {
    const iso = track(await backend.openIsolated());
    const p = '/registry/compactor/';
    const r1 = await iso.create(`${p}a`, buf('1'));
    const r2 = await iso.update(`${p}a`, buf('2'), r1);
    const errors: Error[] = [];
    const compactor = startCompactor(iso, { intervalMs: 100, onError: (e) => errors.push(e) });
    try {
      await vi.waitFor(async () => {
        const err = await iso.list({ prefix: p, revision: r1 }).catch((e) => e);
        expect(err).toBeInstanceOf(CompactedError);
      }, { timeout: 10_000, interval: 100 });
    } finally {
      compactor.stop();
    }
    expect(errors).toEqual([]);
    expect(await iso.get(`${p}a`)).toMatchObject({ value: buf('2'), modRevision: r2 });
  });

  it(`${backend.name}: the watch cache fans one upstream watch out to many filtered watchers`, async () => {
    const p = freshPrefix('cache');
    await store.create(`${p}seed`, buf('seed'));
    const cache = new WatchCache(store, { prefix: p, windowSize: 1000 });
    await cache.start();
    try {
      const from = cache.revision();
      const all = Array.from({ length: 100 }, () => [] as WatchEvent[]);
      const evens: WatchEvent[] = [];
      const watches = all.map((events) => cache.watch({ afterRevision: from, onEvents: (b) => events.push(...b), onError: (e) => { throw e; } }));
      watches.push(cache.watch({
        afterRevision: from,
        filter: (e) => Number(e.kv.key.split('-').pop()) % 2 === 0,
        onEvents: (b) => evens.push(...b),
        onError: (e) => { throw e; },
      }));
      const revs: number[] = [];
      for (let i = 0; i < 20; i++) revs.push(await store.create(`${p}k-${i}`, buf(`${i}`)));
      await vi.waitFor(() => {
        for (const events of all) expect(events.map((e) => e.kv.modRevision)).toEqual(revs);
        expect(evens.map((e) => e.kv.modRevision)).toEqual(revs.filter((_, i) => i % 2 === 0));
      }, { timeout: 10_000 });

      // A late watcher replays from the window; the snapshot lists current state without storage.
      const late: WatchEvent[] = [];
      watches.push(cache.watch({ afterRevision: revs[9], onEvents: (b) => late.push(...b), onError: (e) => { throw e; } }));
      await vi.waitFor(() => expect(late.map((e) => e.kv.modRevision)).toEqual(revs.slice(10)), { timeout: 10_000 });
      const snap = cache.snapshot();
      expect(snap.revision).toBeGreaterThanOrEqual(revs[19]);
      expect(snap.items.map((kv) => kv.key)).toEqual((await store.list({ prefix: p })).items.map((kv) => kv.key));
      for (const w of watches) w.cancel();
    } finally {
      cache.stop();
    }
  });

  it(`${backend.name}: the watch cache answers watches older than its window with CompactedError`, async () => {
    const p = freshPrefix('window');
    const cache = new WatchCache(store, { prefix: p, windowSize: 5 });
    await cache.start();
    try {
      const revs: number[] = [];
      for (let i = 0; i < 10; i++) revs.push(await store.create(`${p}k-${i}`, buf(`${i}`)));
      const [first, last] = [revs[0], revs[9]];
      await vi.waitFor(() => expect(cache.revision()).toBeGreaterThanOrEqual(last), { timeout: 10_000 });
      const errors: Error[] = [];
      cache.watch({ afterRevision: first, onEvents: () => {}, onError: (e) => errors.push(e) });
      await vi.waitFor(() => expect(errors[0]).toBeInstanceOf(CompactedError), { timeout: 10_000 });
      // Inside the window still works.
      const events: WatchEvent[] = [];
      const ok = cache.watch({ afterRevision: revs[7], onEvents: (b) => events.push(...b), onError: (e) => errors.push(e) });
      await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 10_000 });
      ok.cancel();
      expect(errors).toHaveLength(1);
    } finally {
      cache.stop();
    }
  });
});
