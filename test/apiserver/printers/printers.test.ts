import { describe, expect, it } from 'vitest';
import { renderTable, summarizePod, toTable, type Table } from '../../../apiserver/printers/index.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const created = (ago: number): string => new Date(NOW.getTime() - ago * 1000).toISOString();

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: created(65), ...metadata },
    spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec },
    status,
  };
}

const running = { state: { running: { startedAt: created(60) } }, ready: true, restartCount: 0 };

describe('pod STATUS, READY and RESTARTS as kubectl computes them', () => {
  it.each([
    ['Running', pod({ phase: 'Running', containerStatuses: [{ name: 'web', ...running }] }), '1/1', 'Running'],
    ['Pending, no status yet', pod({ phase: 'Pending' }), '0/1', 'Pending'],
    [
      'ContainerCreating',
      pod({ phase: 'Pending', containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } }, ready: false }] }),
      '0/1',
      'ContainerCreating',
    ],
    [
      'CrashLoopBackOff',
      pod({ phase: 'Running', containerStatuses: [{ name: 'web', state: { waiting: { reason: 'CrashLoopBackOff' } }, ready: false, restartCount: 4 }] }),
      '0/1',
      'CrashLoopBackOff',
    ],
    [
      'Completed',
      pod({ phase: 'Succeeded', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      '0/1',
      'Completed',
    ],
    ['exit code without reason', pod({ phase: 'Failed', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 3 } } }] }), '0/1', 'ExitCode:3'],
    ['signal without reason', pod({ phase: 'Failed', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 137, signal: 9 } } }] }), '0/1', 'Signal:9'],
    ['pod reason (Evicted)', pod({ phase: 'Failed', reason: 'Evicted' }), '0/1', 'Evicted'],
    [
      'first init container running',
      pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { running: {} } }, { name: 'i2', state: { waiting: { reason: 'PodInitializing' } } }] },
        { initContainers: [{ name: 'i1' }, { name: 'i2' }] },
      ),
      '0/1',
      'Init:0/2',
    ],
    [
      'second init container running',
      pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 0 } } }, { name: 'i2', state: { running: {} } }] },
        { initContainers: [{ name: 'i1' }, { name: 'i2' }] },
      ),
      '0/1',
      'Init:1/2',
    ],
    [
      'init container failing',
      pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
        { initContainers: [{ name: 'i1' }] },
      ),
      '0/1',
      'Init:Error',
    ],
    [
      'init container crash looping',
      pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 2 }] },
        { initContainers: [{ name: 'i1' }] },
      ),
      '0/1',
      'Init:CrashLoopBackOff',
    ],
    [
      'terminating',
      pod({ phase: 'Running', containerStatuses: [{ name: 'web', ...running }] }, {}, { deletionTimestamp: created(1) }),
      '1/1',
      'Terminating',
    ],
    [
      'one of two containers ready',
      pod(
        { phase: 'Running', containerStatuses: [{ name: 'a', ...running }, { name: 'b', state: { running: {} }, ready: false }] },
        { containers: [{ name: 'a' }, { name: 'b' }] },
      ),
      '1/2',
      'Running',
    ],
    [
      'sidecar init container counted',
      pod(
        { phase: 'Running', initContainerStatuses: [{ name: 'side', started: true, ready: true, state: { running: {} } }], containerStatuses: [{ name: 'web', ...running }], conditions: [{ type: 'Initialized', status: 'True' }] },
        { initContainers: [{ name: 'side', restartPolicy: 'Always' }] },
      ),
      '2/2',
      'Running',
    ],
  ])('%s', (_name, p, ready, status) => {
    const s = summarizePod(p);
    expect(`${s.ready}/${s.total}`).toBe(ready);
    expect(s.status).toBe(status);
  });

  it('shows restarts with the time since the last one', () => {
    const p = pod({
      phase: 'Running',
      containerStatuses: [{ name: 'web', ...running, restartCount: 3, lastState: { terminated: { exitCode: 1, finishedAt: created(200) } } }],
    });
    const table = toTable('Pod', [p], { now: NOW });
    expect(table.rows[0]!.cells.slice(0, 5)).toEqual(['p', '1/1', 'Running', '3 (3m20s ago)', '65s']);
  });
});

describe('toTable', () => {
  it('builds the pod table with wide cells and PartialObjectMetadata rows', () => {
    const p = pod(
      { phase: 'Running', podIPs: [{ ip: '10.42.0.5' }], containerStatuses: [{ name: 'web', ...running }] },
      { nodeName: 'n1' },
      { labels: { app: 'x' }, managedFields: [{ manager: 'kubectl' }] },
    );
    const table = toTable('Pod', [p], { now: NOW, listMeta: { resourceVersion: '104' } });
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.metadata).toEqual({ resourceVersion: '104' });
    expect(table.columnDefinitions!.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(table.rows[0]!.cells).toEqual(['p', '1/1', 'Running', '0', '65s', '10.42.0.5', 'n1', '<none>', '<none>']);
    expect(table.rows[0]!.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'p', namespace: 'default', creationTimestamp: created(65), labels: { app: 'x' } },
    });
  });

  it('honours includeObject and noHeaders (watch events after the first)', () => {
    const p = pod({ phase: 'Pending' });
    expect(toTable('Pod', [p], { includeObject: 'Object', now: NOW }).rows[0]!.object).toBe(p);
    expect(toTable('Pod', [p], { includeObject: 'None', now: NOW }).rows[0]!.object).toBeUndefined();
    expect(toTable('Pod', [p], { noHeaders: true, now: NOW }).columnDefinitions).toBeNull();
  });

  it('marks finished pods with a Completed row condition', () => {
    const t = toTable('Pod', [pod({ phase: 'Succeeded' }), pod({ phase: 'Running' })], { now: NOW });
    expect(t.rows[0]!.conditions).toEqual([expect.objectContaining({ type: 'Completed', status: 'True', reason: 'Succeeded' })]);
    expect(t.rows[1]!.conditions).toBeUndefined();
  });

  it('prints deployments and replicasets', () => {
    const d = {
      metadata: { name: 'web', creationTimestamp: created(3 * 3600 + 300) },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'legacy', operator: 'DoesNotExist' }] },
        template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } },
      },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    const dt = toTable('Deployment', [d], { now: NOW });
    expect(dt.columnDefinitions!.map((c) => c.name)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    expect(dt.rows[0]!.cells).toEqual(['web', '2/3', 3, 2, '3h5m', 'web,log', 'nginx:1.27,busybox', 'app=web,!legacy,tier in (a,b)']);
    const rt = toTable('ReplicaSet', [{ ...d, metadata: { name: 'web-abc', creationTimestamp: created(10) } }], { now: NOW });
    expect(rt.columnDefinitions!.map((c) => c.name)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
    expect(rt.rows[0]!.cells.slice(0, 5)).toEqual(['web-abc', 3, 3, 2, '10s']);
  });

  it('prints services of each type', () => {
    const base = { metadata: { name: 's', creationTimestamp: created(30) } };
    const rows = toTable(
      'Service',
      [
        { ...base, spec: { type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k8s: 'dns' } } },
        { ...base, spec: { type: 'NodePort', clusterIPs: ['10.43.0.11'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } },
        { ...base, spec: { type: 'LoadBalancer', clusterIPs: ['10.43.0.12'], ports: [{ port: 443, protocol: 'TCP' }] } },
        { ...base, spec: { type: 'ExternalName', externalName: 'db.example.com' } },
      ],
      { now: NOW },
    ).rows.map((r) => r.cells);
    expect(rows[0]).toEqual(['s', 'ClusterIP', '10.43.0.10', '<none>', '53/UDP,53/TCP', '30s', 'k8s=dns']);
    expect(rows[1]).toEqual(['s', 'NodePort', '10.43.0.11', '<none>', '80:30080/TCP', '30s', '<none>']);
    expect(rows[2]!.slice(3, 5)).toEqual(['<pending>', '443/TCP']);
    expect(rows[3]!.slice(1, 5)).toEqual(['ExternalName', '<none>', 'db.example.com', '<none>']);
  });

  it('prints nodes with status, roles and wide system info', () => {
    const node = {
      metadata: { name: 'n1', creationTimestamp: created(2 * 86400), labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.168.1.5' }, { type: 'Hostname', address: 'n1' }],
        nodeInfo: { kubeletVersion: 'v1.32.0-skiff', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'skiff://0.1.0' },
      },
    };
    const t = toTable('Node', [node, { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }], { now: NOW });
    expect(t.rows[0]!.cells).toEqual([
      'n1',
      'Ready,SchedulingDisabled',
      'control-plane,master',
      '2d',
      'v1.32.0-skiff',
      '192.168.1.5',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0',
      'skiff://0.1.0',
    ]);
    expect(t.rows[1]!.cells.slice(0, 4)).toEqual(['n2', 'NotReady', '<none>', '<unknown>']);
  });

  it('prints events, configmaps, secrets, namespaces and leases', () => {
    const ev = toTable(
      'Event',
      [
        {
          metadata: { name: 'web.1' },
          involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
          reason: 'Pulled',
          type: 'Normal',
          message: 'Pulled image\n',
          source: { component: 'skiff-agent', host: 'n1' },
          firstTimestamp: created(300),
          lastTimestamp: created(20),
          count: 2,
        },
      ],
      { now: NOW },
    );
    expect(ev.columnDefinitions!.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    expect(ev.rows[0]!.cells).toEqual(['20s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{web}', 'skiff-agent, n1', 'Pulled image', '5m', 2, 'web.1']);

    const at = { creationTimestamp: created(5) };
    expect(toTable('ConfigMap', [{ metadata: { name: 'c', ...at }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }], { now: NOW }).rows[0]!.cells).toEqual(['c', 3, '5s']);
    expect(toTable('Secret', [{ metadata: { name: 's', ...at }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }], { now: NOW }).rows[0]!.cells).toEqual([
      's',
      'kubernetes.io/tls',
      2,
      '5s',
    ]);
    expect(toTable('Namespace', [{ metadata: { name: 'dev', ...at }, status: { phase: 'Terminating' } }], { now: NOW }).rows[0]!.cells).toEqual(['dev', 'Terminating', '5s']);
    expect(toTable('Lease', [{ metadata: { name: 'n1', ...at }, spec: { holderIdentity: 'n1' } }], { now: NOW }).rows[0]!.cells).toEqual(['n1', 'n1', '5s']);
  });

  it('prints endpoints: three addresses, then a count of the rest', () => {
    const ep = {
      metadata: { name: 'web', creationTimestamp: created(5) },
      subsets: [{ addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }], ports: [{ port: 80 }, { port: 443 }] }],
    };
    expect(toTable('Endpoints', [ep], { now: NOW }).rows[0]!.cells).toEqual(['web', '10.42.0.5:80,10.42.0.6:80,10.42.0.5:443 + 1 more...', '5s']);
    expect(toTable('Endpoints', [{ metadata: { name: 'none' } }], { now: NOW }).rows[0]!.cells[1]).toBe('<none>');
  });

  it('falls back to NAME and CREATED AT for kinds without a printer', () => {
    const t = toTable('Widget', [{ metadata: { name: 'w', creationTimestamp: '2026-11-28T11:00:00Z' } }], { now: NOW });
    expect(t.columnDefinitions!.map((c) => c.name)).toEqual(['Name', 'Created At']);
    expect(t.rows[0]!.cells).toEqual(['w', '2026-11-28T11:00:00Z']);
  });
});

describe('renderTable (kubectl spacing)', () => {
  const pods = (): Table =>
    toTable(
      'Pod',
      [
        pod({ phase: 'Running', podIPs: [{ ip: '10.42.0.5' }], containerStatuses: [{ name: 'web', ...running }] }, { nodeName: 'n1' }, { name: 'nginx-7854ff8877-abcde', labels: { app: 'nginx', pod: 'x' } }),
        pod({ phase: 'Pending' }, {}, { name: 'db', namespace: 'data', creationTimestamp: created(3 * 60 + 20) }),
      ],
      { now: NOW },
    );

  it('prints the default columns with a 3-space gap', () => {
    expect(renderTable(pods())).toBe(
      [
        'NAME                     READY   STATUS    RESTARTS   AGE',
        'nginx-7854ff8877-abcde   1/1     Running   0          65s',
        'db                       0/1     Pending   0          3m20s',
        '',
      ].join('\n'),
    );
  });

  it('adds wide columns, namespaces and labels on request', () => {
    expect(renderTable(pods(), { wide: true, showNamespace: true, showLabels: true, noHeaders: true })).toBe(
      [
        // Without headers the widths come from the cells alone; a column is never under 6 wide.
        'default   nginx-7854ff8877-abcde   1/1   Running   0     65s     10.42.0.5   n1       <none>   <none>   app=nginx,pod=x',
        'data      db                       0/1   Pending   0     3m20s   <none>      <none>   <none>   <none>   <none>',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing for an empty table (the CLI says "No resources found")', () => {
    expect(renderTable(toTable('Pod', [], { now: NOW }))).toBe('');
  });
});
