import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRecorder, type Node, type Pod } from '../../api/index.js';
import { startTestCluster, type TestCluster } from './server.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('EventRecorder', () => {
  it('writes an Event kubectl describe finds, and folds repeats into its count', async () => {
    const client = cluster.client;
    const pod = await client.resource('Pod').create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'evented', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] },
    } as Pod);
    const errors: unknown[] = [];
    const recorder = new EventRecorder(client, 'default-scheduler', { host: 'test-host', onError: (e) => errors.push(e) });
    await recorder.record(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    await recorder.record(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    await recorder.record(pod, 'Normal', 'Scheduled', 'Successfully assigned default/evented to n1');
    expect(errors).toEqual([]);

    // The field selector kubectl describe uses.
    const list = await client.resource('Event').list({ namespace: 'default', fieldSelector: 'involvedObject.name=evented' });
    const byReason = Object.fromEntries(list.items.map((e) => [e.reason, e]));
    expect(list.items).toHaveLength(2);
    expect(byReason.FailedScheduling).toMatchObject({
      type: 'Warning',
      count: 2,
      source: { component: 'default-scheduler', host: 'test-host' },
      involvedObject: { kind: 'Pod', name: 'evented', namespace: 'default', uid: pod.metadata!.uid },
    });
    expect(byReason.FailedScheduling!.metadata!.name).toMatch(/^evented\.[0-9a-f]+$/);
    expect(byReason.Scheduled!.count).toBe(1);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const node = await cluster.client.resource('Node').create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n-events' } } as Node);
    const recorder = new EventRecorder(cluster.client, 'node-controller');
    await recorder.record(node, 'Normal', 'RegisteredNode', 'Node n-events event: Registered Node n-events in Controller');
    const list = await cluster.client.resource('Event').list({ namespace: 'default', fieldSelector: 'involvedObject.name=n-events' });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.involvedObject.namespace).toBeUndefined();
  });

  it('reports a failed write through onError instead of throwing', async () => {
    const errors: unknown[] = [];
    const recorder = new EventRecorder(cluster.client, 'x', { onError: (e) => errors.push(e) });
    await recorder.record({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name', namespace: 'default' } }, 'Normal', 'R', 'm');
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/create events/);
  });
});
