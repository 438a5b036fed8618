import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Informer, InformerFactory, KubeClient, labelIndex, ownerIndex, type ConfigMap } from '../../api/index.js';
import { startTestCluster, type TestCluster } from './server.js';

let cluster: TestCluster;
let client: KubeClient;

beforeAll(async () => {
  cluster = await startTestCluster({ bookmarkIntervalMs: 200 });
  client = cluster.client;
});

afterAll(async () => {
  await cluster?.stop();
});

async function namespace(name: string): Promise<string> {
  await client.resource('Namespace').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function configMap(ns: string, name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
}

describe('informer', () => {
  it('lists, syncs, then follows adds, updates and deletes with handlers and indexes', async () => {
    const ns = await namespace('inf-basic');
    const cms = client.resource('ConfigMap');
    await cms.create(configMap(ns, 'before', { app: 'a' }));

    const informer = new Informer(cms, { namespace: ns, indexers: { app: labelIndex('app'), owner: ownerIndex() } });
    const log: string[] = [];
    informer.addHandlers({
      onAdd: (o) => log.push(`add ${o.metadata?.name}`),
      onUpdate: (o, n) => log.push(`update ${n.metadata?.name} ${o.data?.v ?? '-'}->${n.data?.v}`),
      onDelete: (o) => log.push(`delete ${o.metadata?.name}`),
    });
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    try {
      await informer.waitForSync();
      expect(informer.hasSynced()).toBe(true);
      expect(log).toEqual(['add before']);
      // Items come back complete even though list items may omit kind/apiVersion.
      expect(informer.get(`${ns}/before`)).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });

      await cms.create(configMap(ns, 'later', { app: 'b' }, { v: '1' }));
      await cms.patch({ namespace: ns, name: 'later' }, [{ op: 'replace', path: '/data/v', value: '2' }], { type: 'json' });
      await cms.delete({ namespace: ns, name: 'before' });
      await expect.poll(() => log, { timeout: 10_000 }).toEqual(['add before', 'add later', 'update later 1->2', 'delete before']);

      expect(informer.list().map((o) => o.metadata?.name)).toEqual(['later']);
      expect(informer.byIndex('app', 'b').map((o) => o.metadata?.name)).toEqual(['later']);
      expect(informer.byIndex('app', 'a')).toEqual([]);
      expect(informer.byIndex('namespace', ns)).toHaveLength(1);
      expect(informer.get({ namespace: ns, name: 'later' })?.data).toEqual({ v: '2' });
      expect(Number(informer.lastSyncResourceVersion)).toBeGreaterThan(0);
      expect(() => informer.byIndex('nope', 'x')).toThrow(/no index named nope/);
    } finally {
      await informer.stop();
    }
  });

  it('shares one informer per kind through the factory; late indexes cover cached objects', async () => {
    const ns = await namespace('inf-factory');
    await client.resource('ConfigMap').create(configMap(ns, 'shared', { app: 'z' }));
    const factory = new InformerFactory(client);
    const a = factory.informer('ConfigMap', { namespace: ns });
    const b = factory.informer('ConfigMap', { namespace: ns });
    expect(a).toBe(b);
    const all = factory.informer('Namespace');
    factory.start();
    try {
      await factory.waitForSync();
      expect(a.hasSynced() && all.hasSynced()).toBe(true);
      factory.informer('ConfigMap', { namespace: ns, indexers: { app: labelIndex('app') } });
      expect(a.byIndex('app', 'z').map((o) => o.metadata?.name)).toEqual(['shared']);
      // Created after start: starts at once.
      const late = factory.informer('Secret', { namespace: ns });
      await late.waitForSync();
      expect(late.list()).toEqual([]);
    } finally {
      await factory.stop();
    }
  });

  it('reports an unreachable server, keeps retrying, and stops promptly', async () => {
    const nowhere = new KubeClient({ ...client.connection, server: 'https://127.0.0.1:1' });
    const errors: unknown[] = [];
    const informer = new Informer(nowhere.resource('Pod'), { backoff: { initialMs: 20, maxMs: 40 }, onError: (e) => errors.push(e) });
    informer.start();
    try {
      await expect.poll(() => errors.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      expect(String(errors[0])).toMatch(/list pods: cannot reach API server https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
      expect(informer.hasSynced()).toBe(false);
    } finally {
      const stopping = performance.now();
      await informer.stop();
      expect(performance.now() - stopping).toBeLessThan(1000);
      nowhere.close();
    }
  });

  it('replays the cache to handlers registered after sync', async () => {
    const ns = await namespace('inf-late');
    const cms = client.resource('ConfigMap');
    await cms.create(configMap(ns, 'one'));
    const informer = new Informer(cms, { namespace: ns });
    informer.start();
    try {
      await informer.waitForSync();
      const seen: string[] = [];
      informer.addHandlers({ onAdd: (o) => seen.push(o.metadata!.name!) });
      expect(seen).toEqual(['one']);
    } finally {
      await informer.stop();
    }
  });

  it('re-lists after 410 Expired when the history it would resume from is compacted', async () => {
    // A cluster of its own without bookmarks: the informer's resourceVersion can then only
    // move through its own events or a re-list.
    const quiet = await startTestCluster({ bookmarkIntervalMs: 3_600_000 });
    const own = new KubeClient(quiet.client.connection);
    const errors: unknown[] = [];
    const informer = new Informer(own.resource('ConfigMap'), {
      namespace: 'default',
      labelSelector: 'app=x',
      backoff: { initialMs: 50, maxMs: 50 },
      onError: (e) => errors.push(e),
    });
    const added: string[] = [];
    informer.addHandlers({ onAdd: (o) => added.push(o.metadata!.name!) });
    try {
      const cms = quiet.client.resource('ConfigMap');
      await cms.create(configMap('default', 'first', { app: 'x' }));
      informer.start();
      await informer.waitForSync();
      const resumeFrom = Number(informer.lastSyncResourceVersion);
      // Writes the informer does not see (other labels) move the cluster past its version...
      for (let i = 0; i < 3; i++) await cms.create(configMap('default', `other-${i}`, { app: 'y' }));
      const compactedAt = await quiet.server.storage.currentRevision();
      await quiet.server.storage.compact(compactedAt);
      expect(Number(informer.lastSyncResourceVersion)).toBe(resumeFrom);
      // ...then its watch breaks; resuming from resumeFrom gets 410, so it must list again.
      own.close();
      await expect.poll(() => Number(informer.lastSyncResourceVersion), { timeout: 15_000 }).toBeGreaterThanOrEqual(compactedAt);
      // And it keeps following the cluster afterwards.
      await cms.create(configMap('default', 'second', { app: 'x' }));
      await expect.poll(() => added, { timeout: 15_000 }).toEqual(['first', 'second']);
      expect(errors.every((e) => !/410|Expired|too old/i.test(String(e)))).toBe(true);
    } finally {
      await informer.stop();
      own.close();
      await quiet.stop();
    }
  });
});
