// Deleting a namespace deletes what is in it, then the namespace itself: the namespace
// controller against a real API server on SQLite.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../apiserver/index.js';
import { KubeClient, isNotFound, type ConfigMap, type Namespace } from '../../api/index.js';
import { startControllers, type RunningControllers } from '../../controllers/index.js';

let server: ApiServer;
let client: KubeClient;
let controllers: RunningControllers;
const dataDir = mkdtempSync(join(tmpdir(), 'skiff-controllers-ns-'));

beforeAll(async () => {
  server = await startApiServer({ dataDir, port: 0, host: '127.0.0.1' });
  client = KubeClient.fromKubeconfig({ path: server.kubeconfigPath });
  controllers = await startControllers(client);
});

afterAll(async () => {
  await controllers?.stop();
  client?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function gone(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

it('deletes the contents of a deleted namespace, then the namespace', async () => {
  const namespaces = client.resource('Namespace');
  const configmaps = client.resource('ConfigMap');
  await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } } as Namespace);
  await configmaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inside', namespace: 'doomed' }, data: { a: 'b' } } as ConfigMap);
  await configmaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere', namespace: 'default' }, data: { a: 'b' } } as ConfigMap);

  await namespaces.delete({ name: 'doomed' });
  await expect.poll(() => gone(() => namespaces.get({ name: 'doomed' })), { timeout: 15_000 }).toBe(true);
  expect(await gone(() => configmaps.get({ namespace: 'doomed', name: 'inside' }))).toBe(true);
  // Other namespaces are untouched.
  expect((await configmaps.get({ namespace: 'default', name: 'elsewhere' })).data).toEqual({ a: 'b' });
});

it('holds the namespace while an object inside it has a finalizer', async () => {
  const namespaces = client.resource('Namespace');
  const configmaps = client.resource('ConfigMap');
  await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'held' } } as Namespace);
  await configmaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pinned', namespace: 'held', finalizers: ['example.com/hold'] } } as ConfigMap);

  await namespaces.delete({ name: 'held' });
  await expect.poll(async () => (await configmaps.get({ namespace: 'held', name: 'pinned' })).metadata?.deletionTimestamp, { timeout: 15_000 }).toBeTruthy();
  const ns = await namespaces.get({ name: 'held' });
  expect(ns.status?.phase).toBe('Terminating');

  await configmaps.patch({ namespace: 'held', name: 'pinned' }, { metadata: { finalizers: null } }, { type: 'merge' });
  await expect.poll(() => gone(() => namespaces.get({ name: 'held' })), { timeout: 15_000 }).toBe(true);
});
