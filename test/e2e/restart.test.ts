// State lives in the store, not in the server process: objects survive a restart of
// `skiff server` on both backends, and a watcher that comes back with the last
// resourceVersion it saw receives every change it missed, in order, exactly once.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startServer, type RunningServer } from '../harness/skiff-server.js';
import { startEtcd, type RunningEtcd } from '../harness/etcd.js';
import { apiRequest, collectWatch, credentialsFrom } from '../harness/api-request.js';

const backends = ['sqlite', 'etcd'] as const;

describe.each(backends)('restart on %s', (backend) => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

  it('keeps objects and lets a watcher resume from its resourceVersion', async () => {
    let etcd: RunningEtcd | undefined;
    if (backend === 'etcd') {
      etcd = await startEtcd();
      cleanups.push(() => etcd!.stop());
    }
    let server: RunningServer = await startServer({ etcdEndpoints: etcd?.endpoint });
    const dataDir = server.dataDir;
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => server.stop());

    let creds = credentialsFrom(server.kubeconfig);
    const cms = '/api/v1/namespaces/default/configmaps';
    const create = async (name: string) => {
      const res = await apiRequest(creds, 'POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } });
      expect(res.status, res.body).toBe(201);
      return JSON.parse(res.body);
    };

    const first = await create('before-restart-1');
    const list = await apiRequest(creds, 'GET', cms);
    expect(list.status, list.body).toBe(200);
    const seenRv = JSON.parse(list.body).metadata.resourceVersion as string;
    // Changes the watcher does not see while it is away: two before and one after the restart.
    await create('missed-1');
    await create('missed-2');

    await server.stop();
    server = await startServer({ etcdEndpoints: etcd?.endpoint, dataDir });
    creds = credentialsFrom(server.kubeconfig);

    const again = await apiRequest(creds, 'GET', `${cms}/before-restart-1`);
    expect(again.status, again.body).toBe(200);
    const survivor = JSON.parse(again.body);
    expect(survivor.metadata.uid).toBe(first.metadata.uid);
    expect(survivor.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(survivor.data).toEqual({ n: 'before-restart-1' });

    await create('missed-3');
    const events = await collectWatch(
      creds,
      `${cms}?watch=true&resourceVersion=${seenRv}`,
      (evs) => evs.filter((e) => e.type === 'ADDED').length >= 3,
    );
    const added = events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);
    expect(added).toEqual(['missed-1', 'missed-2', 'missed-3']);
    const rvs = events.filter((e) => e.type !== 'BOOKMARK').map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(rvs[0]).toBeGreaterThan(Number(seenRv));
  });
});
