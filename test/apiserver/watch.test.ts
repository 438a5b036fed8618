// Watch over real HTTPS on both backends: initial state, changes from a revision,
// selector transitions, bookmarks, Table events, restarts and compaction.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEtcd } from '../harness/etcd.js';
import { BACKENDS, call, configMap, createNamespace, openWatch, startTestServer, type TestServer } from './helpers.js';

const names = (events: { type: string; object: { metadata?: { name?: string } } }[]) => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`.trim());

describe.each(BACKENDS)('watch on %s', (backend) => {
  let ts: TestServer;
  let n = 0;
  const ns = () => `watch-${++n}`;
  beforeAll(async () => { ts = await startTestServer(backend, undefined, { bookmarkIntervalMs: 300 }); });
  afterAll(async () => { await ts?.cleanup(); });

  it('streams the current state then every change, headers first', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    await call(ts.creds, 'POST', base, configMap('a'));
    const w = await openWatch(ts.creds, `${base}?watch=true`);
    expect(w.status).toBe(200);
    expect(w.headers['content-type']).toBe('application/json');
    expect(w.headers['transfer-encoding']).toBe('chunked');
    await vi.waitFor(() => expect(names(w.events)).toEqual(['ADDED a']), { timeout: 5000 });
    await call(ts.creds, 'POST', base, configMap('b'));
    await call(ts.creds, 'PATCH', `${base}/a`, { data: { k: 'w' } }, { contentType: 'application/merge-patch+json' });
    await call(ts.creds, 'DELETE', `${base}/b`);
    await vi.waitFor(() => expect(names(w.events)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'DELETED b']), { timeout: 5000 });
    const deleted = w.events[3]!.object;
    expect(deleted.kind).toBe('ConfigMap');
    expect(Number(deleted.metadata.resourceVersion)).toBeGreaterThan(Number(w.events[2]!.object.metadata.resourceVersion));
    w.close();
  });

  it('starts after a resourceVersion and sends objects leaving a selector as DELETED', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    const a = await call(ts.creds, 'POST', base, configMap('a', { app: 'web' }));
    const w = await openWatch(ts.creds, `${base}?watch=true&labelSelector=app%3Dweb&resourceVersion=${a.json.metadata.resourceVersion}`);
    await call(ts.creds, 'POST', base, configMap('other', { app: 'db' }));
    await call(ts.creds, 'PATCH', `${base}/a`, { metadata: { labels: { app: 'db' } } }, { contentType: 'application/merge-patch+json' });
    await call(ts.creds, 'PATCH', `${base}/other`, { metadata: { labels: { app: 'web' } } }, { contentType: 'application/merge-patch+json' });
    await vi.waitFor(() => expect(names(w.events)).toEqual(['DELETED a', 'ADDED other']), { timeout: 5000 });
    w.close();
  });

  it('sends bookmarks when allowed, and ends at timeoutSeconds', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const list = await call(ts.creds, 'GET', `/api/v1/namespaces/${space}/configmaps`);
    const w = await openWatch(ts.creds, `/api/v1/namespaces/${space}/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=${list.json.metadata.resourceVersion}`);
    await vi.waitFor(() => expect(w.events.some((e) => e.type === 'BOOKMARK')).toBe(true), { timeout: 5000 });
    const bm = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(bm.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
    expect(Number(bm.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(list.json.metadata.resourceVersion));
    await w.ended;
  });

  it('renders Table events with column definitions on the first only', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    await call(ts.creds, 'POST', base, configMap('a'));
    const w = await openWatch(ts.creds, `${base}?watch=true`, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    await call(ts.creds, 'POST', base, configMap('b'));
    await vi.waitFor(() => expect(w.events.length).toBe(2), { timeout: 5000 });
    expect(w.events[0]!.object.kind).toBe('Table');
    expect(w.events[0]!.object.columnDefinitions.length).toBeGreaterThan(0);
    expect(w.events[1]!.object.columnDefinitions).toBeNull();
    expect(w.events[1]!.object.rows[0].object.metadata.name).toBe('b');
    w.close();
  });

  it('serves a hundred watchers from one cache', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    const list = await call(ts.creds, 'GET', base);
    const watchers = await Promise.all(Array.from({ length: 100 }, () => openWatch(ts.creds, `${base}?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`)));
    await call(ts.creds, 'POST', base, configMap('fan'));
    await vi.waitFor(() => expect(watchers.every((w) => w.events.length === 1)).toBe(true), { timeout: 10_000 });
    for (const w of watchers) w.close();
  });

  it('rejects a malformed resourceVersion with 400 before streaming', async () => {
    const r = await call(ts.creds, 'GET', '/api/v1/configmaps?watch=true&resourceVersion=abc');
    expect(r.status).toBe(400);
  });
});

describe.each(BACKENDS)('watch across restarts and compaction on %s', (backend) => {
  it('replays every change after a revision seen before a restart', async () => {
    let ts = await startTestServer(backend);
    try {
      await createNamespace(ts.creds, 'restart');
      const base = '/api/v1/namespaces/restart/configmaps';
      const a = await call(ts.creds, 'POST', base, configMap('a'));
      const seen = a.json.metadata.resourceVersion as string;
      await call(ts.creds, 'POST', base, configMap('b'));
      await call(ts.creds, 'PATCH', `${base}/a`, { data: { k: 'changed' } }, { contentType: 'application/merge-patch+json' });
      await call(ts.creds, 'DELETE', `${base}/b`);
      await ts.stop();
      ts = await ts.restart();
      const w = await openWatch(ts.creds, `${base}?watch=true&resourceVersion=${seen}`);
      await vi.waitFor(() => expect(names(w.events)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']), { timeout: 5000 });
      await call(ts.creds, 'POST', base, configMap('c'));
      await vi.waitFor(() => expect(names(w.events)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b', 'ADDED c']), { timeout: 5000 });
      w.close();
    } finally {
      await ts.cleanup();
    }
  });

  it('answers a watch from a compacted revision with ERROR 410 Expired', async () => {
    // Compaction is store-wide: on etcd it gets an etcd of its own, not the shared one.
    const etcd = backend === 'etcd' ? await startEtcd({ name: 'skiff-apiserver-compact' }) : undefined;
    const ts = await startTestServer(backend, undefined, { etcdEndpoint: etcd?.endpoint });
    try {
      await createNamespace(ts.creds, 'compact');
      const base = '/api/v1/namespaces/compact/configmaps';
      const a = await call(ts.creds, 'POST', base, configMap('a'));
      const old = Number(a.json.metadata.resourceVersion);
      for (let i = 0; i < 3; i++) await call(ts.creds, 'PATCH', `${base}/a`, { data: { k: String(i) } }, { contentType: 'application/merge-patch+json' });
      // A restart empties the watch cache, so the old revision can only come from storage.
      await ts.stop();
      const again = await ts.restart();
      try {
        await again.server.storage.compact(await again.server.storage.currentRevision());
        const w = await openWatch(again.creds, `${base}?watch=true&resourceVersion=${old}`);
        await w.ended;
        expect(w.events).toHaveLength(1);
        expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
        const list = await call(again.creds, 'GET', `${base}?limit=1&continue=${Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: old, start: 'a' })).toString('base64url')}`);
        expect(list.status).toBe(410);
      } finally {
        await again.stop();
      }
    } finally {
      await ts.cleanup();
      await etcd?.stop();
    }
  });
});

describe('periodic compaction', () => {
  it('compacts history one interval behind, so an old watch gets 410 while current state stays readable', async () => {
    const ts = await startTestServer('sqlite', undefined, { compactionIntervalMs: 200 });
    try {
      const a = await call(ts.creds, 'POST', '/api/v1/namespaces/default/configmaps', configMap('compacted'));
      for (let i = 0; i < 3; i++) await call(ts.creds, 'PATCH', '/api/v1/namespaces/default/configmaps/compacted', { data: { k: String(i) } }, { contentType: 'application/merge-patch+json' });
      const old = a.json.metadata.resourceVersion;
      await ts.stop();
      const again = await ts.restart();
      try {
        await vi.waitFor(async () => {
          // Until the compactor has run, this watch replays and stays open: give it a moment.
          const w = await openWatch(again.creds, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}`);
          await Promise.race([w.ended, new Promise((r) => setTimeout(r, 250))]);
          w.close();
          expect(w.events[0]?.object?.code).toBe(410);
        }, { timeout: 10_000, interval: 100 });
        const fresh = await call(again.creds, 'GET', '/api/v1/namespaces/default/configmaps/compacted');
        expect(fresh.json.data.k).toBe('2');
      } finally {
        await again.stop();
      }
    } finally {
      await ts.cleanup();
    }
  });
});
