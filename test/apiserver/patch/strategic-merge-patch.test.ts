import { describe, expect, it } from 'vitest';
import { strategicMergePatch, type JsonObject } from '../../../apiserver/patch/index.js';
import { failure, liveDeployment } from './fixtures.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function podSpec(obj: JsonObject): any {
  return (obj as any).spec.template.spec;
}

describe('strategic merge patch: bodies captured from kubectl 1.32', () => {
  it('reorders and adds containers, removes env A, adds env B and port 443 (client-side apply)', () => {
    const live: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', annotations: { [LAST_APPLIED]: 'old' } },
      spec: {
        replicas: 1,
        template: {
          spec: {
            containers: [
              {
                name: 'web',
                image: 'nginx:1.25',
                env: [{ name: 'A', value: '1' }],
                ports: [{ containerPort: 80, protocol: 'TCP' }],
                terminationMessagePath: '/dev/termination-log',
              },
            ],
          },
        },
      },
    };
    const patch = {
      metadata: { annotations: { [LAST_APPLIED]: 'new' } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
            containers: [
              { command: ['sleep', '3600'], image: 'busybox', name: 'sidecar' },
              {
                '$setElementOrder/env': [{ name: 'B' }],
                '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 443 }],
                env: [{ name: 'B', value: '2' }, { $patch: 'delete', name: 'A' }],
                image: 'nginx:1.27',
                name: 'web',
                ports: [{ containerPort: 443 }],
              },
            ],
          },
        },
      },
    };
    const out = strategicMergePatch('Deployment', live, patch);
    expect((out.metadata as any).annotations[LAST_APPLIED]).toBe('new');
    expect((out.spec as any).replicas).toBe(2);
    expect(podSpec(out).containers).toEqual([
      { command: ['sleep', '3600'], image: 'busybox', name: 'sidecar' },
      {
        name: 'web',
        image: 'nginx:1.27',
        env: [{ name: 'B', value: '2' }],
        ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
        terminationMessagePath: '/dev/termination-log',
      },
    ]);
    // The input objects are not modified.
    expect(podSpec(live).containers).toHaveLength(1);
    expect(patch.spec.template.spec.containers[1]!.env).toHaveLength(2);
  });

  it('changes strategy with $retainKeys, swaps a volume source, moves a mount, replaces args', () => {
    const patch = {
      spec: {
        strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            '$setElementOrder/volumes': [{ name: 'data' }],
            containers: [
              {
                '$setElementOrder/volumeMounts': [{ mountPath: '/etc/data' }],
                args: ['c'],
                name: 'web',
                volumeMounts: [{ mountPath: '/etc/data', name: 'data' }, { $patch: 'delete', mountPath: '/data' }],
              },
            ],
            volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cfg' }, emptyDir: null, name: 'data' }],
          },
        },
      },
    };
    const out = strategicMergePatch('Deployment', liveDeployment(), patch);
    expect((out.spec as any).strategy).toEqual({ type: 'Recreate' });
    expect(podSpec(out).volumes).toEqual([{ name: 'data', configMap: { name: 'cfg' } }]);
    const web = podSpec(out).containers[0];
    expect(web.volumeMounts).toEqual([{ mountPath: '/etc/data', name: 'data' }]);
    expect(web.args).toEqual(['c']);
    expect(web.env).toEqual(liveDeployment() && [
      { name: 'A', value: '1' },
      { name: 'KEEP', value: 'k' },
    ]);
  });

  it('sets an image (`kubectl set image`) without touching anything else', () => {
    const live = liveDeployment();
    const out = strategicMergePatch('Deployment', live, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'nginx:1.26', name: 'web' }] } } },
    });
    const want = liveDeployment() as any;
    want.spec.template.spec.containers[0].image = 'nginx:1.26';
    expect(out).toEqual(want);
  });

  it('adds env with $setElementOrder (`kubectl set env`), keeping server-only entries in place', () => {
    const out = strategicMergePatch('Deployment', liveDeployment(), {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [{ '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }], env: [{ name: 'C', value: '3' }], name: 'web' }],
          },
        },
      },
    });
    expect(podSpec(out).containers[0].env.map((e: any) => e.name)).toEqual(['A', 'C', 'KEEP']);
  });

  it('adds the restartedAt template annotation (`kubectl rollout restart`)', () => {
    const out = strategicMergePatch('Deployment', liveDeployment(), {
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-28T06:00:00Z' } } } },
    });
    expect((out.spec as any).template.metadata).toEqual({
      labels: { app: 'x' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-28T06:00:00Z' },
    });
  });

  it('pauses a rollout (`kubectl rollout pause`)', () => {
    const out = strategicMergePatch('Deployment', liveDeployment(), { spec: { paused: true } });
    expect((out.spec as any).paused).toBe(true);
  });
});

describe('strategic merge patch: directives and list strategies', () => {
  it('replaces lists without a strategy atomically (tolerations, args)', () => {
    const out = strategicMergePatch('Deployment', liveDeployment(), {
      spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } },
    });
    expect(podSpec(out).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('merges finalizers as a set and removes with $deleteFromPrimitiveList', () => {
    const added = strategicMergePatch('Deployment', liveDeployment(), { metadata: { finalizers: ['example.com/b', 'example.com/a'] } });
    expect((added.metadata as any).finalizers).toEqual(['example.com/b', 'example.com/a']);
    const removed = strategicMergePatch('Deployment', added, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/a'] },
    });
    expect((removed.metadata as any).finalizers).toEqual(['example.com/b']);
  });

  it('orders a scalar set with $setElementOrder and rejects order entries without the merge key', () => {
    const live = { metadata: { name: 'n', finalizers: ['a', 'b'] } };
    const out = strategicMergePatch('ConfigMap', live, { metadata: { '$setElementOrder/finalizers': ['c', 'a'], finalizers: ['c'] } });
    // b was only on the server: it keeps its place after a.
    expect((out.metadata as any).finalizers).toEqual(['c', 'a', 'b']);
    const err = failure(() =>
      strategicMergePatch('Deployment', liveDeployment(), { spec: { template: { spec: { '$setElementOrder/containers': [{ image: 'x' }] } } } }),
    );
    expect(err.code).toBe(400);
  });

  it('merges ownerReferences by uid and status conditions by type', () => {
    const live: JsonObject = {
      metadata: { name: 'p', ownerReferences: [{ uid: 'u1', kind: 'ReplicaSet', name: 'rs1' }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    };
    const out = strategicMergePatch('Pod', live, {
      metadata: { ownerReferences: [{ uid: 'u1', controller: true }, { uid: 'u2', kind: 'X', name: 'x' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect((out.metadata as any).ownerReferences).toEqual([
      { uid: 'u1', kind: 'ReplicaSet', name: 'rs1', controller: true },
      { uid: 'u2', kind: 'X', name: 'x' },
    ]);
    expect((out.status as any).conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ]);
  });

  it('merges Service ports by port and Node addresses by type', () => {
    const svc = strategicMergePatch(
      'Service',
      { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } },
      { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } },
    );
    expect((svc.spec as any).ports).toEqual([{ port: 80, targetPort: 9090, protocol: 'TCP' }, { port: 443 }]);
    const node = strategicMergePatch(
      'Node',
      { status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.1' }] } },
      { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] } },
    );
    expect((node.status as any).addresses).toEqual([
      { type: 'Hostname', address: 'n1' },
      { type: 'InternalIP', address: '10.0.0.2' },
    ]);
  });

  it('honours $patch: replace on a map and on a list, and $patch: delete on a map', () => {
    const out = strategicMergePatch('Deployment', liveDeployment(), {
      metadata: { labels: { $patch: 'replace', only: 'this' } },
      spec: {
        selector: { $patch: 'delete' },
        template: { spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 'busybox' }] } },
      },
    });
    expect((out.metadata as any).labels).toEqual({ only: 'this' });
    expect((out.spec as any).selector).toEqual({});
    expect(podSpec(out).containers).toEqual([{ name: 'solo', image: 'busybox' }]);
  });

  it('deletes keys set to null, and drops nulls and directives in values new to the object', () => {
    const out = strategicMergePatch('Deployment', liveDeployment(), {
      spec: {
        replicas: null,
        template: { spec: { nodeSelector: { disk: 'ssd', gone: null }, initContainers: [{ name: 'i', image: 'busybox' }, { $patch: 'delete', name: 'z' }] } },
      },
    });
    expect((out.spec as any).replicas).toBeUndefined();
    expect(podSpec(out).nodeSelector).toEqual({ disk: 'ssd' });
    expect(podSpec(out).initContainers).toEqual([{ name: 'i', image: 'busybox' }]);
  });

  it('rejects malformed patches by name', () => {
    const noKey = failure(() => strategicMergePatch('Deployment', liveDeployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }));
    expect(noKey.code).toBe(400);
    expect(noKey.message).toContain('spec.template.spec.containers');
    expect(noKey.message).toContain('merge key name');

    const retain = failure(() =>
      strategicMergePatch('Deployment', liveDeployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } }),
    );
    expect(retain.code).toBe(422);
    expect(retain.causes[0]!.field).toBe('spec.strategy.rollingUpdate');

    expect(failure(() => strategicMergePatch('Deployment', liveDeployment(), { spec: { $patch: 'explode' } })).code).toBe(400);
    expect(failure(() => strategicMergePatch('Deployment', liveDeployment(), ['x'] as never)).code).toBe(400);
  });

  it('answers 415 for kinds without patch metadata, as Kubernetes does for custom resources', () => {
    const err = failure(() => strategicMergePatch('Widget', { spec: {} }, { spec: { size: 1 } }));
    expect(err.code).toBe(415);
    expect(err.message).toContain('--type=merge');
  });
});

describe('client-side apply round trip', () => {
  // kubectl apply: create with the last-applied annotation, then a three-way SMP on every
  // later apply. The patch below is the one kubectl 1.32 computes for this edit (replicas
  // 1 -> 3, image 1.25 -> 1.27, env A removed) in the shape of the captured bodies.
  const config1 = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', annotations: {} },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
          ],
        },
      },
    },
  };

  it('removes a field dropped from the file, keeps server defaults and others\' changes', () => {
    // What the server stored after the POST: defaults filled in, an annotation someone else added.
    const live = structuredClone(config1) as any;
    live.metadata.annotations = { [LAST_APPLIED]: `${JSON.stringify(config1)}\n`, 'team.example.com/owner': 'ops' };
    live.metadata.uid = 'uid-1';
    live.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
    live.spec.template.spec.containers[0].terminationMessagePath = '/dev/termination-log';
    live.spec.template.spec.containers[0].env.push({ name: 'INJECTED', value: 'by-webhook' });
    live.spec.template.spec.restartPolicy = 'Always';

    const config2 = structuredClone(config1) as any;
    config2.spec.replicas = 3;
    config2.spec.template.spec.containers[0].image = 'nginx:1.27';
    config2.spec.template.spec.containers[0].env = [{ name: 'B', value: '2' }];

    const patch = {
      metadata: { annotations: { [LAST_APPLIED]: `${JSON.stringify(config2)}\n` } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'web' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'B' }],
                env: [{ $patch: 'delete', name: 'A' }],
                image: 'nginx:1.27',
                name: 'web',
              },
            ],
          },
        },
      },
    };
    const out = strategicMergePatch('Deployment', live, patch) as any;
    const web = out.spec.template.spec.containers[0];
    expect(out.spec.replicas).toBe(3);
    expect(web.image).toBe('nginx:1.27');
    expect(web.env.map((e: any) => e.name)).toEqual(['B', 'INJECTED']);
    expect(web.env.find((e: any) => e.name === 'A')).toBeUndefined();
    expect(web.terminationMessagePath).toBe('/dev/termination-log');
    expect(out.spec.strategy.type).toBe('RollingUpdate');
    expect(out.spec.template.spec.restartPolicy).toBe('Always');
    expect(out.metadata.annotations['team.example.com/owner']).toBe('ops');
    expect(JSON.parse(out.metadata.annotations[LAST_APPLIED])).toEqual(config2);

    // Applying the same file again sends only the annotation; nothing changes.
    const again = strategicMergePatch('Deployment', out, { metadata: { annotations: { [LAST_APPLIED]: `${JSON.stringify(config2)}\n` } } });
    expect(again).toEqual(out);
  });
});
