import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, KubeClient, isNotFound, type ConfigMap, type Deployment, type KubeObject, type Pod, type WatchEvent } from '../../api/index.js';
import { startTestCluster, type TestCluster } from './server.js';

let cluster: TestCluster;
let client: KubeClient;
const ns = 'api-client';

beforeAll(async () => {
  cluster = await startTestCluster({ bookmarkIntervalMs: 200 });
  client = cluster.client;
  await client.resource('Namespace').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await cluster?.stop();
});

function configMap(name: string, data: Record<string, string>, labels?: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
}

function deployment(name: string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } },
    },
  };
}

async function expectApiError(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('client CRUD over HTTPS with the admin kubeconfig', () => {
  it('creates, reads, updates and deletes, with the server defaults applied', async () => {
    const deploys = client.resource('Deployment');
    const created = await deploys.create(deployment('crud'));
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.spec?.strategy?.type).toBe('RollingUpdate');

    const got = await deploys.get({ namespace: ns, name: 'crud' });
    expect(got.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    got.spec!.replicas = 3;
    const updated = await deploys.update(got);
    expect(updated.spec?.replicas).toBe(3);

    await deploys.delete({ namespace: ns, name: 'crud' }, { propagationPolicy: 'Background' });
    const gone = await expectApiError(deploys.get({ namespace: ns, name: 'crud' }));
    expect(gone.code).toBe(404);
    expect(gone.reason).toBe('NotFound');
    expect(isNotFound(gone)).toBe(true);
    expect(gone.message).toMatch(/^get deployments\.apps "api-client\/crud": /);
  });

  it('reports AlreadyExists, a stale resourceVersion Conflict and Invalid with causes', async () => {
    const cms = client.resource('ConfigMap');
    const first = await cms.create(configMap('dup', { a: '1' }));
    expect((await expectApiError(cms.create(configMap('dup', { a: '2' })))).reason).toBe('AlreadyExists');

    await cms.update({ ...first, data: { a: '2' } });
    const stale = await expectApiError(cms.update({ ...first, data: { a: '3' } }));
    expect(stale.code).toBe(409);
    expect(stale.reason).toBe('Conflict');

    const bad = deployment('bad');
    delete bad.spec!.template.spec!.containers[0]!.image;
    const invalid = await expectApiError(client.resource('Deployment').create(bad));
    expect(invalid.code).toBe(422);
    expect(invalid.causes).toContainEqual({ reason: 'FieldValueRequired', field: 'spec.template.spec.containers[0].image', message: 'Required value' });
  });

  it('is refused unknown fields under fieldValidation=Strict', async () => {
    const d = deployment('strict') as KubeObject;
    d.spec.template.spec.containers[0].imagee = 'x';
    const err = await expectApiError(client.resource('Deployment').create(d as Deployment, { fieldValidation: 'Strict' }));
    expect(err.code).toBe(400);
    expect(err.message).toContain('spec.template.spec.containers[0].imagee');
  });

  it('pages a list with limit/continue and filters with label and field selectors', async () => {
    const cms = client.resource('ConfigMap');
    for (let i = 0; i < 5; i++) await cms.create(configMap(`page-${i}`, {}, { group: 'paging', idx: String(i) }));
    const page = await cms.list({ namespace: ns, labelSelector: 'group=paging', limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.metadata.continue).toBeTruthy();
    const all = await cms.listAll({ namespace: ns, labelSelector: 'group=paging', limit: 2 });
    expect(all.items.map((c) => c.metadata?.name)).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const some = await cms.list({ namespace: ns, labelSelector: 'group=paging,idx in (1,3)' });
    expect(some.items.map((c) => c.metadata?.name)).toEqual(['page-1', 'page-3']);
    const one = await cms.list({ namespace: ns, fieldSelector: 'metadata.name=page-4' });
    expect(one.items.map((c) => c.metadata?.name)).toEqual(['page-4']);
  });

  it('deletes a collection by label selector, leaving the rest', async () => {
    const cms = client.resource('ConfigMap');
    await cms.create(configMap('sweep-1', {}, { sweep: 'yes' }));
    await cms.create(configMap('sweep-2', {}, { sweep: 'yes' }));
    await cms.create(configMap('sweep-keep', {}, { sweep: 'no' }));
    const deleted = await cms.deleteCollection({ namespace: ns, labelSelector: 'sweep=yes' });
    expect(deleted.items.map((c) => c.metadata?.name).sort()).toEqual(['sweep-1', 'sweep-2']);
    const left = await cms.list({ namespace: ns, labelSelector: 'sweep' });
    expect(left.items.map((c) => c.metadata?.name)).toEqual(['sweep-keep']);
    expect(() => client.resource('Namespace').deleteCollection()).toThrow(/Namespace does not support deletecollection/);
  });

  it('patches with merge, strategic, json and server-side apply', async () => {
    const deploys = client.resource('Deployment');
    await deploys.create(deployment('patched'));
    const key = { namespace: ns, name: 'patched' };

    let d = await deploys.patch(key, { metadata: { labels: { tier: 'web' } } }, { type: 'merge' });
    expect(d.metadata?.labels).toEqual({ tier: 'web' });

    d = await deploys.patch(key, { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } }, { type: 'strategic' });
    expect(d.spec?.template.spec?.containers.map((c) => c.name).sort()).toEqual(['sidecar', 'web']);

    d = await deploys.patch(key, [{ op: 'replace', path: '/spec/replicas', value: 4 }], { type: 'json' });
    expect(d.spec?.replicas).toBe(4);

    const applied = deployment('applied');
    applied.spec!.replicas = 2;
    d = await deploys.patch({ namespace: ns, name: 'applied' }, applied, { type: 'apply', fieldManager: 'api-test', force: true });
    expect(d.spec?.replicas).toBe(2);
    expect(d.metadata?.managedFields?.some((f) => f.manager === 'api-test')).toBe(true);
    expect(() => deploys.patch(key, {}, { type: 'apply' })).toThrow(/needs a fieldManager/);
  });

  it('scales through the scale subresource and writes status through its own', async () => {
    const deploys = client.resource('Deployment');
    const d = await deploys.create(deployment('scaled'));
    const scale = await deploys.scale({ namespace: ns, name: 'scaled' }, 5);
    expect(scale.spec?.replicas).toBe(5);
    expect((await deploys.getScale({ namespace: ns, name: 'scaled' })).status?.selector).toBe('app=scaled');

    const fresh = await deploys.get({ namespace: ns, name: 'scaled' });
    const withStatus = await deploys.updateStatus({ ...fresh, status: { replicas: 5, observedGeneration: fresh.metadata?.generation } });
    expect(withStatus.status?.replicas).toBe(5);
    expect(withStatus.metadata?.generation).toBe(d.metadata!.generation! + 1);
  });

  it('binds a pod through pods/binding', async () => {
    const pods = client.resource('Pod');
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bind-me', namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    await pods.create(pod);
    await pods.createSubresource({ namespace: ns, name: 'bind-me' }, 'binding', {
      apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me', namespace: ns }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
    });
    expect((await pods.get({ namespace: ns, name: 'bind-me' })).spec?.nodeName).toBe('node-a');
  });

  it('watches from a list resourceVersion, with bookmarks', async () => {
    const cms = client.resource('ConfigMap');
    const list = await cms.list({ namespace: ns });
    const controller = new AbortController();
    const events: WatchEvent<ConfigMap>[] = [];
    const done = (async () => {
      for await (const ev of cms.watch({ namespace: ns, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, signal: controller.signal })) {
        events.push(ev);
      }
    })();
    await cms.create(configMap('watched', { v: '1' }));
    await cms.patch({ namespace: ns, name: 'watched' }, { data: { v: '2' } }, { type: 'merge' });
    await cms.delete({ namespace: ns, name: 'watched' });
    await expect
      .poll(() => events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata?.name}`), { timeout: 10_000 })
      .toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
    await expect.poll(() => events.some((e) => e.type === 'BOOKMARK'), { timeout: 10_000 }).toBe(true);
    controller.abort();
    await done; // aborting ends the iteration without an error
  });

  it('ends a watch at timeoutSeconds', async () => {
    const started = Date.now();
    const events: string[] = [];
    for await (const ev of client.resource('Lease').watch({ namespace: ns, timeoutSeconds: 1 })) events.push(ev.type);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(events).toEqual([]);
  });

  it('authenticates with a bearer token, and refuses a wrong one with 401', async () => {
    cluster.server.tokens.add('api-test-token', { name: 'api-tester', groups: ['system:masters'] });
    const base = { ...client.connection, cert: undefined, key: undefined };
    const withToken = new KubeClient({ ...base, token: 'api-test-token' });
    const wrong = new KubeClient({ ...base, token: 'nope' });
    try {
      expect((await withToken.resource('Namespace').get({ name: ns })).metadata?.name).toBe(ns);
      expect((await expectApiError(wrong.resource('Namespace').get({ name: ns }))).code).toBe(401);
    } finally {
      withToken.close();
      wrong.close();
    }
  });

  it('refuses a server whose certificate does not chain to the kubeconfig CA', async () => {
    const stranger = new KubeClient({ ...client.connection, ca: undefined });
    try {
      await expect(stranger.resource('Namespace').list()).rejects.toThrow(/cannot reach API server https:\/\/127\.0\.0\.1:\d+: .*certificate/);
    } finally {
      stranger.close();
    }
  });
});

describe('exec', () => {
  it('surfaces the server refusing an exec before the upgrade as an ApiError with its Status', async () => {
    const pods = client.resource('Pod');
    await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'exec-target', namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    // The pod is bound to no node, so there is no agent to run it on: the API server answers
    // 400 before upgrading, as Kubernetes does for a container that is waiting to start.
    const refused = await expectApiError(pods.exec({ namespace: ns, name: 'exec-target' }, { command: ['true'], stdout: process.stdout }));
    expect(refused.code).toBe(400);
    const missing = await expectApiError(pods.exec({ namespace: ns, name: 'no-such-pod' }, { command: ['true'] }));
    expect(missing.code).toBe(404);
  });
});
