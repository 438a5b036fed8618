// Object semantics over real HTTPS, on both storage backends: status codes, uid,
// generation, generateName, selectors, paging, strict decoding, dry runs, namespaces,
// subresources, finalizers and graceful pod deletion.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKENDS, call, configMap, createNamespace, deployment, pod, startTestServer, type TestServer } from './helpers.js';

describe.each(BACKENDS)('API objects on %s', (backend) => {
  let ts: TestServer;
  let n = 0;
  const ns = () => `crud-${++n}`;
  beforeAll(async () => { ts = await startTestServer(backend); });
  afterAll(async () => { await ts?.cleanup(); });

  it('creates, reads, conflicts and deletes with kube status codes', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    const created = await call(ts.creds, 'POST', base, configMap('a'));
    expect(created.status).toBe(201);
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.json.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(created.json.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const again = await call(ts.creds, 'POST', base, configMap('a'));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });

    const missing = await call(ts.creds, 'GET', `${base}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' } });

    const got = await call(ts.creds, 'GET', `${base}/a`);
    expect(got.json).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', data: { k: 'v' } });

    const updated = await call(ts.creds, 'PUT', `${base}/a`, { ...got.json, data: { k: 'w' } });
    expect(updated.status).toBe(200);
    const stale = await call(ts.creds, 'PUT', `${base}/a`, { ...got.json, data: { k: 'x' } });
    expect(stale.status).toBe(409);
    expect(stale.json.reason).toBe('Conflict');

    const del = await call(ts.creds, 'DELETE', `${base}/a`);
    expect(del.status).toBe(200);
    expect((await call(ts.creds, 'GET', `${base}/a`)).status).toBe(404);
  });

  it('bumps generation on spec changes only and keeps status out of the main resource', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/apis/apps/v1/namespaces/${space}/deployments`;
    const d = (await call(ts.creds, 'POST', base, deployment('web'))).json;
    expect(d.metadata.generation).toBe(1);
    const labelled = await call(ts.creds, 'PATCH', `${base}/web`, { metadata: { labels: { extra: 'yes' } } }, { contentType: 'application/merge-patch+json' });
    expect(labelled.json.metadata.generation).toBe(1);
    const status = await call(ts.creds, 'PUT', `${base}/web/status`, { ...labelled.json, status: { replicas: 1, observedGeneration: 1 } });
    expect(status.status).toBe(200);
    expect(status.json.status.replicas).toBe(1);
    expect(status.json.metadata.generation).toBe(1);
    const scaled = await call(ts.creds, 'PATCH', `${base}/web`, { spec: { replicas: 3 }, status: { replicas: 99 } }, { contentType: 'application/merge-patch+json' });
    expect(scaled.json.metadata.generation).toBe(2);
    expect(scaled.json.status.replicas).toBe(1);
  });

  it('serves the scale subresource, PUT without a Content-Type included (P7)', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/apis/apps/v1/namespaces/${space}/deployments`;
    await call(ts.creds, 'POST', base, deployment('web', 2));
    const scale = await call(ts.creds, 'GET', `${base}/web/scale`);
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=web' } });
    const patched = await call(ts.creds, 'PATCH', `${base}/web/scale`, { spec: { replicas: 4 } }, { contentType: 'application/merge-patch+json' });
    expect(patched.json.spec.replicas).toBe(4);
    const put = await call(ts.creds, 'PUT', `${base}/web/scale`, JSON.stringify({ ...patched.json, spec: { replicas: 5 } }), { contentType: null });
    expect(put.status).toBe(200);
    expect((await call(ts.creds, 'GET', `${base}/web`)).json.spec.replicas).toBe(5);
  });

  it('generates names with a 5-character suffix', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const names = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/configmaps`, { metadata: { generateName: 'gen-' }, data: {} });
      expect(r.status).toBe(201);
      expect(r.json.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      names.add(r.json.metadata.name);
    }
    expect(names.size).toBe(5);
  });

  it('filters lists by label and field selectors', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    await call(ts.creds, 'POST', base, configMap('a', { app: 'web', tier: 'fe' }));
    await call(ts.creds, 'POST', base, configMap('b', { app: 'web', tier: 'be' }));
    await call(ts.creds, 'POST', base, configMap('c', { app: 'db' }));
    const names = async (q: string) => (await call(ts.creds, 'GET', `${base}?${q}`)).json.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(await names('labelSelector=app%3Dweb')).toEqual(['a', 'b']);
    expect(await names('labelSelector=app%3D%3Dweb,tier!%3Dbe')).toEqual(['a']);
    expect(await names(`labelSelector=${encodeURIComponent('tier in (fe,be)')}`)).toEqual(['a', 'b']);
    expect(await names(`labelSelector=${encodeURIComponent('tier notin (fe)')}`)).toEqual(['b', 'c']);
    expect(await names('labelSelector=tier')).toEqual(['a', 'b']);
    expect(await names('labelSelector=!tier')).toEqual(['c']);
    expect(await names('fieldSelector=metadata.name%3Db')).toEqual(['b']);
    expect(await names(`fieldSelector=metadata.namespace%3D${space},metadata.name!%3Da`)).toEqual(['b', 'c']);
    // resourceVersion=0 (what reflectors send) is served from the watch cache, selectors included.
    await vi.waitFor(async () => expect(await names('labelSelector=app%3Dweb&resourceVersion=0&limit=500')).toEqual(['a', 'b']), { timeout: 5000 });
    const bad = await call(ts.creds, 'GET', `${base}?fieldSelector=spec.nodeName%3Dx`);
    expect(bad.status).toBe(400);

    await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/pods`, pod('p1', { nodeName: 'n1' }));
    await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/pods`, pod('p2'));
    const onN1 = await call(ts.creds, 'GET', `/api/v1/namespaces/${space}/pods?fieldSelector=spec.nodeName%3Dn1`);
    expect(onN1.json.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['p1']);
    const unbound = await call(ts.creds, 'GET', `/api/v1/pods?fieldSelector=spec.nodeName%3D,metadata.namespace%3D${space}`);
    expect(unbound.json.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['p2']);
  });

  it('pages lists with limit and continue tokens at one consistent revision', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    for (const name of ['a', 'b', 'c', 'd', 'e']) await call(ts.creds, 'POST', base, configMap(name, { keep: name === 'c' ? 'no' : 'yes' }));
    const first = await call(ts.creds, 'GET', `${base}?limit=2&labelSelector=keep%3Dyes`);
    expect(first.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['a', 'b']);
    const token = first.json.metadata.continue as string;
    expect(JSON.parse(Buffer.from(token, 'base64url').toString())).toMatchObject({ v: 'meta.k8s.io/v1', rv: Number(first.json.metadata.resourceVersion) });
    // A write between pages is not seen: the pages form one snapshot.
    await call(ts.creds, 'POST', base, configMap('bb', { keep: 'yes' }));
    const second = await call(ts.creds, 'GET', `${base}?limit=2&labelSelector=keep%3Dyes&continue=${token}`);
    expect(second.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['d', 'e']);
    expect(second.json.metadata.continue).toBeUndefined();
    expect(second.json.metadata.resourceVersion).toBe(first.json.metadata.resourceVersion);
    const garbage = await call(ts.creds, 'GET', `${base}?limit=2&continue=notatoken`);
    expect(garbage.status).toBe(400);
  });

  it('rejects unknown fields under Strict, warns under Warn, and decodes YAML', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/apis/apps/v1/namespaces/${space}/deployments`;
    const body = deployment('strict');
    (body.spec as Record<string, unknown>).replica = 3;
    const strict = await call(ts.creds, 'POST', `${base}?fieldValidation=Strict`, body);
    expect(strict.status).toBe(400);
    expect(strict.json.reason).toBe('BadRequest');
    expect(strict.json.message).toContain('unknown field "spec.replica"');
    const warn = await call(ts.creds, 'POST', `${base}?fieldValidation=Warn`, body);
    expect(warn.status).toBe(201);
    expect(String(warn.headers.warning)).toContain('unknown field \\"spec.replica\\"');
    expect(warn.json.spec.replica).toBeUndefined();
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: "1"\n';
    const y = await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/configmaps`, yaml, { contentType: 'application/yaml' });
    expect(y.status).toBe(201);
    expect(y.json.data).toEqual({ a: '1' });
    const proto = await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/configmaps`, 'k8s\0', { contentType: 'application/vnd.kubernetes.protobuf' });
    expect(proto.status).toBe(415);
  });

  it('honours dryRun=All without storing anything', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    const dry = await call(ts.creds, 'POST', `${base}?dryRun=All`, configMap('dry'));
    expect(dry.status).toBe(201);
    expect(dry.json.metadata.uid).toBeDefined();
    expect((await call(ts.creds, 'GET', `${base}/dry`)).status).toBe(404);
    await call(ts.creds, 'POST', base, configMap('real'));
    const patch = await call(ts.creds, 'PATCH', `${base}/real?dryRun=All`, { data: { k: 'changed' } }, { contentType: 'application/merge-patch+json' });
    expect(patch.json.data.k).toBe('changed');
    expect((await call(ts.creds, 'GET', `${base}/real`)).json.data.k).toBe('v');
    await call(ts.creds, 'DELETE', `${base}/real?dryRun=All`);
    expect((await call(ts.creds, 'GET', `${base}/real`)).status).toBe(200);
  });

  it('needs an existing, non-terminating namespace for namespaced creates', async () => {
    const missing = await call(ts.creds, 'POST', '/api/v1/namespaces/does-not-exist/configmaps', configMap('x'));
    expect(missing.status).toBe(404);
    expect(missing.json.details).toMatchObject({ name: 'does-not-exist', kind: 'namespaces' });
    const space = ns();
    await createNamespace(ts.creds, space);
    const del = await call(ts.creds, 'DELETE', `/api/v1/namespaces/${space}`);
    expect(del.status).toBe(202);
    expect(del.json.status.phase).toBe('Terminating');
    const refused = await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/configmaps`, configMap('x'));
    expect(refused.status).toBe(403);
    // The namespace controller's last step: clearing spec.finalizers removes the namespace.
    const finalize = await call(ts.creds, 'PUT', `/api/v1/namespaces/${space}/finalize`, { ...del.json, spec: { finalizers: [] } });
    expect(finalize.status).toBe(200);
    expect((await call(ts.creds, 'GET', `/api/v1/namespaces/${space}`)).status).toBe(404);
    expect((await call(ts.creds, 'DELETE', '/api/v1/namespaces/default')).status).toBe(403);
    const system = await call(ts.creds, 'GET', '/api/v1/namespaces');
    expect(system.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
  });

  it('keeps an object with finalizers until the last finalizer is removed', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/configmaps`;
    await call(ts.creds, 'POST', base, { ...configMap('held'), metadata: { name: 'held', finalizers: ['example.com/a', 'example.com/b'] } });
    const del = await call(ts.creds, 'DELETE', `${base}/held`);
    expect(del.status).toBe(202);
    expect(del.json.metadata.deletionTimestamp).toBeDefined();
    expect(del.json.metadata.deletionGracePeriodSeconds).toBe(0);
    const addMore = await call(ts.creds, 'PATCH', `${base}/held`, { metadata: { finalizers: ['example.com/a', 'example.com/b', 'example.com/c'] } }, { contentType: 'application/merge-patch+json' });
    expect(addMore.status).toBe(422);
    const one = await call(ts.creds, 'PATCH', `${base}/held`, { metadata: { finalizers: ['example.com/b'] } }, { contentType: 'application/merge-patch+json' });
    expect(one.status).toBe(200);
    expect((await call(ts.creds, 'GET', `${base}/held`)).status).toBe(200);
    const last = await call(ts.creds, 'PATCH', `${base}/held`, { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
    expect(last.status).toBe(200);
    expect((await call(ts.creds, 'GET', `${base}/held`)).status).toBe(404);
  });

  it('deletes bound pods gracefully and unbound pods at once; binding sets nodeName', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/pods`;
    await call(ts.creds, 'POST', base, pod('unbound'));
    expect((await call(ts.creds, 'DELETE', `${base}/unbound`)).status).toBe(200);
    expect((await call(ts.creds, 'GET', `${base}/unbound`)).status).toBe(404);

    await call(ts.creds, 'POST', base, pod('bound', { grace: 20 }));
    const bind = await call(ts.creds, 'POST', `${base}/bound/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'node-1' } });
    expect(bind.status).toBe(201);
    const bound = (await call(ts.creds, 'GET', `${base}/bound`)).json;
    expect(bound.spec.nodeName).toBe('node-1');
    const rebind = await call(ts.creds, 'POST', `${base}/bound/binding`, { metadata: { name: 'bound' }, target: { name: 'node-2' } });
    expect(rebind.status).toBe(409);

    const graceful = await call(ts.creds, 'DELETE', `${base}/bound`, { propagationPolicy: 'Background' });
    expect(graceful.status).toBe(202);
    expect(graceful.json.metadata.deletionGracePeriodSeconds).toBe(20);
    expect((await call(ts.creds, 'GET', `${base}/bound`)).json.metadata.deletionTimestamp).toBeDefined();
    // The node agent confirms the containers are gone with gracePeriodSeconds=0.
    const confirm = await call(ts.creds, 'DELETE', `${base}/bound`, { gracePeriodSeconds: 0 });
    expect(confirm.status).toBe(200);
    expect((await call(ts.creds, 'GET', `${base}/bound`)).status).toBe(404);

    await call(ts.creds, 'POST', base, pod('pre'));
    const wrongUid = await call(ts.creds, 'DELETE', `${base}/pre`, { preconditions: { uid: 'not-the-uid' } });
    expect(wrongUid.status).toBe(409);
  });

  it('serves Table rows carrying PartialObjectMetadata', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/configmaps`, configMap('t', { app: 'x' }));
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const table = await call(ts.creds, 'GET', `/api/v1/namespaces/${space}/configmaps?limit=500`, undefined, { accept });
    expect(table.json.kind).toBe('Table');
    expect(table.json.columnDefinitions[0]).toMatchObject({ name: 'Name', format: 'name' });
    expect(table.json.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 't', namespace: space, labels: { app: 'x' } } });
    expect(table.json.rows[0].cells[0]).toBe('t');
  });

  it('allocates ClusterIPs and NodePorts for Services and gives them back on delete', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const base = `/api/v1/namespaces/${space}/services`;
    const svc = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });
    const kubernetes = (await call(ts.creds, 'GET', '/api/v1/namespaces/default/services/kubernetes')).json;
    expect(kubernetes.spec.clusterIP).toBe('10.43.0.1');
    const a = (await call(ts.creds, 'POST', base, svc('a'))).json;
    const b = (await call(ts.creds, 'POST', base, svc('b'))).json;
    expect(a.spec.clusterIP).toMatch(/^10\.43\.\d+\.\d+$/);
    expect(a.spec.clusterIPs).toEqual([a.spec.clusterIP]);
    expect(b.spec.clusterIP).not.toBe(a.spec.clusterIP);
    const taken = await call(ts.creds, 'POST', base, svc('c', { clusterIP: a.spec.clusterIP }));
    expect(taken.status).toBe(422);
    expect(taken.json.details.causes[0].field).toBe('spec.clusterIPs[0]');
    expect((await call(ts.creds, 'POST', base, svc('d', { clusterIP: '192.168.1.1' }))).status).toBe(422);
    expect((await call(ts.creds, 'POST', base, svc('headless', { clusterIP: 'None' }))).json.spec.clusterIPs).toEqual(['None']);
    const np = (await call(ts.creds, 'POST', base, svc('np', { type: 'NodePort' }))).json;
    expect(np.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(np.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    const samePort = await call(ts.creds, 'POST', base, svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: np.spec.ports[0].nodePort }] }));
    expect(samePort.status).toBe(422);
    // An update keeps the address even when the body leaves it out.
    const put = await call(ts.creds, 'PUT', `${base}/a`, { ...svc('a'), metadata: { name: 'a', labels: { x: 'y' } } });
    expect(put.json.spec.clusterIP).toBe(a.spec.clusterIP);
    await call(ts.creds, 'DELETE', `${base}/a`);
    await call(ts.creds, 'DELETE', `${base}/np`);
    expect((await call(ts.creds, 'POST', base, svc('c', { clusterIP: a.spec.clusterIP }))).status).toBe(201);
    expect((await call(ts.creds, 'POST', base, svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: np.spec.ports[0].nodePort }] }))).status).toBe(201);
  });

  it('stores a Secret\'s stringData as base64 data', async () => {
    const space = ns();
    await createNamespace(ts.creds, space);
    const r = await call(ts.creds, 'POST', `/api/v1/namespaces/${space}/secrets`, { metadata: { name: 's' }, data: { a: Buffer.from('old').toString('base64') }, stringData: { a: 'new', b: 'two' } });
    expect(r.status).toBe(201);
    expect(r.json.stringData).toBeUndefined();
    expect(r.json.data).toEqual({ a: Buffer.from('new').toString('base64'), b: Buffer.from('two').toString('base64') });
    expect(r.json.type).toBe('Opaque');
  });

  it('rejects invalid objects with 422 and field causes', async () => {
    const bad = await call(ts.creds, 'POST', '/api/v1/namespaces/default/configmaps', configMap('Not_Valid'));
    expect(bad.status).toBe(422);
    expect(bad.json.reason).toBe('Invalid');
    expect(bad.json.details.causes[0].field).toBe('metadata.name');
  });
});
