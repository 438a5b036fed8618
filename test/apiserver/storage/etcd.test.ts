// What only the etcd backend has to survive: etcd itself going away and coming back.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openStorage, type Storage, type WatchEvent } from '../../../apiserver/storage/index.js';
import { startEtcd, type EtcdServer } from '../../harness/etcd.js';

describe('etcd storage across an etcd restart', () => {
  let etcd: EtcdServer;
  let store: Storage;

  beforeAll(async () => {
    etcd = await startEtcd({ name: 'skiff-storage-restart' });
    store = openStorage({ etcdEndpoints: [etcd.endpoint], progressIntervalMs: 200 });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  it('keeps its data and resumes a watch with no gap and no duplicate', async () => {
    const p = '/registry/restart/';
    const revs = [await store.create(`${p}a`, Buffer.from('1')), await store.create(`${p}b`, Buffer.from('2'))];
    const events: WatchEvent[] = [];
    const errors: Error[] = [];
    const watch = store.watch({
      prefix: p, afterRevision: 0,
      onEvents: (b) => events.push(...b),
      onError: (e) => errors.push(e),
    });
    await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 10_000 });

    await etcd.restart();
    // The client reconnects on its own (a read first: a retried create could report itself).
    await vi.waitFor(() => store.currentRevision(), { timeout: 20_000, interval: 200 });
    revs.push(await store.create(`${p}c`, Buffer.from('3')));
    revs.push(await store.update(`${p}a`, Buffer.from('4'), revs[0]));

    await vi.waitFor(() => expect(events.map((e) => e.kv.modRevision)).toEqual(revs), { timeout: 20_000 });
    watch.cancel();
    expect(errors).toEqual([]);
    expect((await store.get(`${p}b`))!.value.toString()).toBe('2');
  });

  it('stores keys as given, so etcdctl shows the /registry layout', async () => {
    await store.create('/registry/pods/default/web-1', Buffer.from('{"kind":"Pod"}'));
    const out = execFileSync('/usr/bin/etcdctl', ['--endpoints', etcd.endpoint, 'get', '--prefix', '/registry/pods', '--keys-only'],
      { env: { ...process.env, ETCDCTL_API: '3' } }).toString();
    expect(out.split('\n').filter(Boolean)).toEqual(['/registry/pods/default/web-1']);
  });
});
