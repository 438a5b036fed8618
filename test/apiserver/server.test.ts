// The server around the objects: authentication, health and version, discovery in every
// shape kubectl asks for, OpenAPI v3, and the PKI and kubeconfig reused across restarts.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caHash, issueClientCert } from '../../apiserver/index.js';
import { call, createNamespace, pod, startTestServer, type TestServer } from './helpers.js';

describe('API server', () => {
  let ts: TestServer;
  beforeAll(async () => { ts = await startTestServer('sqlite'); });
  afterAll(async () => { await ts?.cleanup(); });

  it('lets anonymous callers read only health and version', async () => {
    for (const path of ['/version', '/readyz', '/livez', '/healthz']) {
      expect((await call(ts.creds, 'GET', path, undefined, { anonymous: true })).status).toBe(200);
    }
    const denied = await call(ts.creds, 'GET', '/api/v1/namespaces', undefined, { anonymous: true });
    expect(denied.status).toBe(401);
    expect(denied.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call(ts.creds, 'GET', '/apis', undefined, { anonymous: true })).status).toBe(401);
    expect((await call(ts.creds, 'GET', '/api/v1/namespaces', undefined, { token: 'wrong' })).status).toBe(401);
  });

  it('accepts registered bearer tokens with their identity', async () => {
    ts.server.tokens.add('s3cret-admin-token', { name: 'token-admin', groups: ['system:masters'] });
    ts.server.tokens.add('s3cret-nobody', { name: 'nobody', groups: [] });
    expect((await call(ts.creds, 'GET', '/api/v1/namespaces', undefined, { token: 's3cret-admin-token' })).status).toBe(200);
    const forbidden = await call(ts.creds, 'GET', '/api/v1/namespaces', undefined, { token: 's3cret-nobody' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.reason).toBe('Forbidden');
  });

  it('lets a node touch only its own Node, Lease and the pods bound to it', async () => {
    const pair = await issueClientCert(ts.server.pki.ca, { commonName: 'system:node:n1', organizations: ['system:nodes'] });
    const node = { ...ts.creds, cert: Buffer.from(pair.cert), key: Buffer.from(pair.key) };
    const nodeBody = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
    expect((await call(node, 'POST', '/api/v1/nodes', nodeBody('n1'))).status).toBe(201);
    expect((await call(node, 'POST', '/api/v1/nodes', nodeBody('n2'))).status).toBe(403);
    const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name } });
    expect((await call(node, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n1'))).status).toBe(201);
    expect((await call(node, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('n2'))).status).toBe(403);
    expect((await call(node, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease('n1'))).status).toBe(403);

    await createNamespace(ts.creds, 'node-rules');
    await call(ts.creds, 'POST', '/api/v1/namespaces/node-rules/pods', pod('mine', { nodeName: 'n1' }));
    await call(ts.creds, 'POST', '/api/v1/namespaces/node-rules/pods', pod('theirs', { nodeName: 'n2' }));
    expect((await call(node, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1')).json.items).toHaveLength(1);
    const status = { status: { phase: 'Running' } };
    expect((await call(node, 'PATCH', '/api/v1/namespaces/node-rules/pods/mine/status', status, { contentType: 'application/merge-patch+json' })).status).toBe(200);
    expect((await call(node, 'PATCH', '/api/v1/namespaces/node-rules/pods/theirs/status', status, { contentType: 'application/merge-patch+json' })).status).toBe(403);
    expect((await call(node, 'PATCH', '/api/v1/namespaces/node-rules/pods/mine', { metadata: { labels: { a: 'b' } } }, { contentType: 'application/merge-patch+json' })).status).toBe(403);
    expect((await call(node, 'POST', '/api/v1/namespaces/node-rules/configmaps', { metadata: { name: 'x' } })).status).toBe(403);
    expect((await call(node, 'DELETE', '/api/v1/namespaces/node-rules/pods/theirs')).status).toBe(403);
  });

  it('turns the join token into a node identity, after the node checked the CA against it', async () => {
    const token = readFileSync(`${ts.dataDir}/node-token`, 'utf8').trim();
    expect(token).toBe(ts.server.joinToken);
    const ca = await call(ts.creds, 'GET', '/cacerts', undefined, { anonymous: true });
    expect(ca.status).toBe(200);
    expect(token.split('.')[0]).toBe(caHash(ca.text));
    const issued = await call(ts.creds, 'POST', '/skiff/v1/node-credentials', { nodeName: 'joined-1' }, { token });
    expect(issued.status).toBe(201);
    expect(issued.json.ca).toBe(ca.text);
    const node = { ...ts.creds, cert: Buffer.from(issued.json.cert), key: Buffer.from(issued.json.key) };
    expect((await call(node, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'joined-1' } })).status).toBe(201);
    expect((await call(node, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'joined-2' } })).status).toBe(403);
    expect((await call(ts.creds, 'GET', '/api/v1/namespaces', undefined, { token })).status).toBe(403);
    expect((await call(ts.creds, 'POST', '/skiff/v1/node-credentials', { nodeName: 'Bad_Name' }, { token })).status).toBe(400);
    expect((await call(ts.creds, 'POST', '/skiff/v1/node-credentials', { nodeName: 'x' }, { token: `${token}x` })).status).toBe(401);
  });

  it('reports version 1.32 for the kubectl dispatcher (P1)', async () => {
    const v = (await call(ts.creds, 'GET', '/version')).json;
    expect(v).toMatchObject({ major: '1', minor: '32' });
  });

  it('serves aggregated discovery v2 and v2beta1 with the typed Content-Type (P2, P3)', async () => {
    for (const v of ['v2', 'v2beta1']) {
      const accept = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList,application/json`;
      const core = await call(ts.creds, 'GET', '/api', undefined, { accept });
      expect(core.headers['content-type']).toBe(`application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
      expect(core.json.apiVersion).toBe(`apidiscovery.k8s.io/${v}`);
      const pods = core.json.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === 'pods');
      expect(pods).toMatchObject({ responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', shortNames: ['po'], categories: ['all'] });
      expect(pods.subresources.map((s: { subresource: string }) => s.subresource)).toEqual(expect.arrayContaining(['status', 'log', 'binding']));
      const groups = await call(ts.creds, 'GET', '/apis', undefined, { accept });
      const apps = groups.json.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
      const deploy = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'deployments');
      expect(deploy.subresources.find((s: { subresource: string }) => s.subresource === 'scale').responseKind).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
      expect(groups.json.items.map((g: { metadata: { name: string } }) => g.metadata.name)).toContain('coordination.k8s.io');
    }
  });

  it('serves legacy discovery for older clients', async () => {
    expect((await call(ts.creds, 'GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await call(ts.creds, 'GET', '/apis')).json;
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.find((g: { name: string }) => g.name === 'apps').preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });
    const v1 = (await call(ts.creds, 'GET', '/api/v1')).json;
    expect(v1.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/status', 'namespaces', 'namespaces/finalize', 'events']));
    const apps = (await call(ts.creds, 'GET', '/apis/apps/v1')).json;
    expect(apps.resources.find((r: { name: string }) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect((await call(ts.creds, 'GET', '/apis/apps')).json).toMatchObject({ kind: 'APIGroup', name: 'apps' });
    expect((await call(ts.creds, 'GET', '/apis/nope.example.com/v1')).status).toBe(404);
  });

  it('serves OpenAPI v3 with a fieldValidation-aware patch per kind and schemas for explain', async () => {
    const root = (await call(ts.creds, 'GET', '/openapi/v3')).json;
    expect(Object.keys(root.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1']));
    const doc = (await call(ts.creds, 'GET', root.paths['apis/apps/v1'].serverRelativeURL)).json;
    const path = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    expect(path.patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(path.patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    expect(path.patch.requestBody).toBeUndefined();
    expect(doc.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    expect((await call(ts.creds, 'GET', '/openapi/v2')).status).toBe(404);
  });

  it('writes a kubeconfig and serves a certificate for this machine', () => {
    const pem = readFileSync(`${ts.dataDir}/pki/server.crt`, 'utf8');
    const cert = new X509Certificate(pem);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.checkIssued(new X509Certificate(readFileSync(`${ts.dataDir}/pki/ca.crt`)))).toBe(true);
    expect(readFileSync(ts.server.kubeconfigPath, 'utf8')).toContain(ts.server.url);
  });

  it('reuses its CA and credentials across a restart', async () => {
    const ca = readFileSync(`${ts.dataDir}/pki/ca.crt`, 'utf8');
    await ts.stop();
    ts = await ts.restart();
    expect(readFileSync(`${ts.dataDir}/pki/ca.crt`, 'utf8')).toBe(ca);
    expect((await call(ts.creds, 'GET', '/api/v1/namespaces/default')).status).toBe(200);
  });
});
