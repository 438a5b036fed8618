import { describe, expect, it } from 'vitest';
import {
  applyDefaults,
  formatCause,
  formatInvalidMessage,
  validateCreate,
  validateUpdate,
} from '../../api/index.js';
import type { Deployment, KubeObject, Pod, ServerObjectMeta } from '../../api/index.js';
import { docsDeployment, simplePod } from './manifests.js';

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function messages(obj: KubeObject): string[] {
  return validateCreate(applyDefaults(obj)).map(formatCause);
}

function deployment(mutate: (d: Deployment) => void): Deployment {
  const d = docsDeployment();
  mutate(d);
  return d;
}

function pod(mutate: (p: Pod) => void): Pod {
  const p = simplePod();
  mutate(p);
  return p;
}

describe('valid objects pass', () => {
  it.each<[string, KubeObject]>([
    ['docs deployment', docsDeployment()],
    ['bare pod', simplePod()],
    ['service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'd' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } }],
    ['headless service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'd' }, spec: { clusterIP: 'None', selector: { app: 'db' } } }],
    ['configmap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { 'app.conf': 'x', KEY_1: 'y' } }],
    ['secret', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'd' }, data: { password: 'cGFzcw==' } }],
    ['namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }],
    ['node', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1.example.com' }, spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } }],
    ['lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } }],
    ['event', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'd' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'd' }, reason: 'Scheduled', type: 'Normal' }],
    ['generateName only', { ...simplePod(), metadata: { generateName: 'web-', namespace: 'd' } }],
  ])('%s', (_name, obj) => {
    expect(messages(obj)).toEqual([]);
  });
});

describe('metadata', () => {
  it.each<[string, KubeObject, string[]]>([
    ['missing name', pod((p) => delete p.metadata!.name), ['metadata.name: Required value: name or generateName is required']],
    ['uppercase pod name', pod((p) => (p.metadata!.name = 'Web')), [`metadata.name: Invalid value: "Web": ${subdomainMsg}`]],
    [
      'service names are DNS-1035 labels',
      { apiVersion: 'v1', kind: 'Service', metadata: { name: '1web', namespace: 'd' }, spec: { ports: [{ port: 80 }] } },
      [
        `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
    [
      'namespace names are labels: no dots',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } },
      [
        `metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
    ['namespace on a cluster-scoped kind', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', namespace: 'd' } }, ['metadata.namespace: Forbidden: not allowed on this type']],
    ['namespaced kind without namespace', pod((p) => delete p.metadata!.namespace), ['metadata.namespace: Required value']],
    [
      'bad label value',
      pod((p) => (p.metadata!.labels = { app: 'a b' })),
      [
        `metadata.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ],
    [
      'bad label key prefix',
      pod((p) => (p.metadata!.labels = { 'Example.com/app': 'x' })),
      [`metadata.labels: Invalid value: "Example.com/app": prefix part ${subdomainMsg}`],
    ],
    ['too long name', pod((p) => (p.metadata!.name = 'a'.repeat(254))), [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`]],
  ])('%s', (_name, obj, expected) => {
    expect(messages(obj)).toEqual(expected);
  });
});

describe('pod spec', () => {
  it.each<[string, Pod, string[]]>([
    ['no containers', pod((p) => (p.spec!.containers = [])), ['spec.containers: Required value']],
    ['missing image', pod((p) => delete p.spec!.containers[0]!.image), ['spec.containers[0].image: Required value']],
    ['missing container name', pod((p) => delete (p.spec!.containers[0] as { name?: string }).name), ['spec.containers[0].name: Required value']],
    [
      'duplicate container names across init and app containers',
      pod((p) => (p.spec!.initContainers = [{ name: 'web', image: 'busybox' }])),
      ['spec.containers[0].name: Duplicate value: "web"'],
    ],
    ['port out of range', pod((p) => (p.spec!.containers[0]!.ports = [{ containerPort: 70000 }])), ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    [
      'unsupported protocol',
      pod((p) => (p.spec!.containers[0]!.ports = [{ containerPort: 80, protocol: 'tcp' }])),
      ['spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'],
    ],
    [
      'unsupported restart policy',
      pod((p) => (p.spec!.restartPolicy = 'Sometimes')),
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'mount of an undeclared volume',
      pod((p) => (p.spec!.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }])),
      ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ],
    [
      'volume without a source and with two',
      pod((p) => (p.spec!.volumes = [{ name: 'a' }, { name: 'b', emptyDir: {}, hostPath: { path: '/x' } }])),
      // Defaulting turns a source-less volume into emptyDir, as Kubernetes does.
      // Kubernetes counts sources in a fixed order (hostPath before emptyDir) and names the later one.
      ['spec.volumes[1].emptyDir: Forbidden: may not specify more than 1 volume type'],
    ],
    [
      'requests above limits',
      pod((p) => (p.spec!.containers[0]!.resources = { limits: { cpu: '1' }, requests: { cpu: '2' } })),
      ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [
      'malformed quantity',
      pod((p) => (p.spec!.containers[0]!.resources = { limits: { memory: '12x' } })),
      [
        `spec.containers[0].resources.limits[memory]: Invalid value: "12x": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        `spec.containers[0].resources.requests[memory]: Invalid value: "12x": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      ],
    ],
    [
      'liveness probe must succeed once',
      pod((p) => (p.spec!.containers[0]!.livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 })),
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
    ['probe without handler', pod((p) => (p.spec!.containers[0]!.readinessProbe = { periodSeconds: 5 })), ['spec.containers[0].readinessProbe: Required value: must specify a handler type']],
    [
      'bad env name',
      pod((p) => (p.spec!.containers[0]!.env = [{ name: '1X', value: 'a' }])),
      [
        `spec.containers[0].env[0].name: Invalid value: "1X": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      ],
    ],
    [
      'bad toleration effect',
      pod((p) => (p.spec!.tolerations = [{ key: 'k', operator: 'Exists', effect: 'Never' }])),
      ['spec.tolerations[0].effect: Unsupported value: "Never": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"'],
    ],
    [
      'node affinity without terms, and with a bad operator',
      pod((p) => (p.spec!.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] } }],
        },
      })),
      [
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator: Unsupported value: "Near": supported values: "DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"',
      ],
    ],
    [
      'In without values, pod affinity without topology key',
      pod((p) => (p.spec!.affinity = {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } },
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: '' }] },
      })),
      [
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
      ],
    ],
    [
      'topology spread: zero skew, unknown policy, duplicate pair',
      pod((p) => (p.spec!.topologySpreadConstraints = [
        { maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        { maxSkew: 1, topologyKey: 'host', whenUnsatisfiable: 'Maybe' },
      ])),
      [
        'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
        'spec.topologySpreadConstraints[1]: Duplicate value: "{zone, DoNotSchedule}"',
        'spec.topologySpreadConstraints[2].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"',
      ],
    ],
    ['negative grace period', pod((p) => (p.spec!.terminationGracePeriodSeconds = -1)), ['spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0']],
  ])('%s', (_name, obj, expected) => {
    expect(messages(obj)).toEqual(expected);
  });

  it('returns Status-ready causes with reason, field and message', () => {
    const causes = validateCreate(applyDefaults(pod((p) => delete p.spec!.containers[0]!.image)));
    expect(causes).toEqual([{ reason: 'FieldValueRequired', field: 'spec.containers[0].image', message: 'Required value' }]);
    expect(formatInvalidMessage('Pod', 'web', causes)).toBe('Pod "web" is invalid: spec.containers[0].image: Required value');
  });
});

describe('deployments', () => {
  it.each<[string, Deployment, string[]]>([
    ['missing selector', deployment((d) => delete (d.spec as { selector?: unknown }).selector), ['spec.selector: Required value']],
    [
      'selector does not match template labels',
      deployment((d) => (d.spec!.selector = { matchLabels: { app: 'other' } })),
      ['spec.template.metadata.labels: Invalid value: {"app":"nginx"}: `selector` does not match template `labels`'],
    ],
    [
      'empty selector',
      deployment((d) => (d.spec!.selector = {})),
      ['spec.selector: Invalid value: {}: empty selector is invalid for deployment'],
    ],
    ['negative replicas', deployment((d) => (d.spec!.replicas = -1)), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'template restartPolicy must be Always',
      deployment((d) => (d.spec!.template.spec!.restartPolicy = 'Never')),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'missing image deep in the template',
      deployment((d) => delete d.spec!.template.spec!.containers[0]!.image),
      ['spec.template.spec.containers[0].image: Required value'],
    ],
    [
      'maxSurge and maxUnavailable both zero',
      deployment((d) => (d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } })),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0'],
    ],
    [
      'percent above 100',
      deployment((d) => (d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '150%' } })),
      ['spec.strategy.rollingUpdate.maxSurge: Invalid value: "150%": must not be greater than 100%'],
    ],
    [
      'Recreate with rollingUpdate',
      deployment((d) => (d.spec!.strategy = { type: 'Recreate', rollingUpdate: {} })),
      ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    ],
    [
      'progress deadline not above minReadySeconds',
      deployment((d) => {
        d.spec!.minReadySeconds = 10;
        d.spec!.progressDeadlineSeconds = 10;
      }),
      ['spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds'],
    ],
  ])('%s', (_name, obj, expected) => {
    expect(messages(obj)).toEqual(expected);
  });
});

describe('services, configmaps, secrets', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'd' }, spec });
  it.each<[string, KubeObject, string[]]>([
    ['no ports', svc({ selector: { a: 'b' } }), ['spec.ports: Required value']],
    ['unnamed second port', svc({ ports: [{ port: 80, name: 'http' }, { port: 443 }] }), ['spec.ports[1].name: Required value']],
    [
      'port 0 (targetPort defaults to it, and is reported too)',
      svc({ ports: [{ port: 0 }] }),
      ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ],
    ['duplicate port names', svc({ ports: [{ port: 80, name: 'a' }, { port: 81, name: 'a' }] }), ['spec.ports[1].name: Duplicate value: "a"']],
    [
      'nodePort on ClusterIP',
      svc({ ports: [{ port: 80, nodePort: 30080 }] }),
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ],
    ['unsupported type', svc({ type: 'Magic', ports: [{ port: 80 }] }), ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    ['ExternalName needs a name', svc({ type: 'ExternalName' }), ['spec.externalName: Required value']],
    [
      'bad configmap key',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { 'a b': 'x' } },
      [
        `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      ],
    ],
    [
      'configmap key in data and binaryData',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { k: 'x' }, binaryData: { k: 'eA==' } },
      ['data[k]: Invalid value: "k": duplicate of key present in binaryData'],
    ],
    [
      'tls secret without key',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } },
      ['data[tls.key]: Required value'],
    ],
  ])('%s', (_name, obj, expected) => {
    expect(messages(obj)).toEqual(expected);
  });
});

describe('replicasets, nodes, events, leases', () => {
  it.each<[string, KubeObject, string[]]>([
    [
      'replicaset selector mismatch and negative replicas',
      {
        apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'd' },
        spec: { replicas: -2, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
      },
      [
        'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
        'spec.template.metadata.labels: Invalid value: {"app":"b"}: `selector` does not match template `labels`',
      ],
    ],
    [
      'node taint without effect',
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { taints: [{ key: 'dedicated', value: 'gpu' }] } },
      ['spec.taints[0].effect: Required value'],
    ],
    [
      'event about an object in another namespace',
      { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'a' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'b' } },
      ['involvedObject.namespace: Invalid value: "b": does not match event.namespace'],
    ],
    [
      'lease with a zero duration',
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } },
      ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'],
    ],
  ])('%s', (_name, obj, expected) => {
    expect(messages(obj)).toEqual(expected);
  });
});

describe('updates', () => {
  const stored = (): Deployment => {
    const d = applyDefaults(docsDeployment());
    const meta = d.metadata as ServerObjectMeta;
    meta.uid = 'u1';
    meta.creationTimestamp = '2026-01-01T00:00:00Z';
    return d;
  };

  it('allows a spec change of a Deployment but not of its selector', () => {
    const next = stored();
    next.spec!.replicas = 5;
    expect(validateUpdate(next, stored())).toEqual([]);
    next.spec!.selector = { matchLabels: { app: 'nginx', tier: 'web' } };
    next.spec!.template.metadata!.labels = { app: 'nginx', tier: 'web' };
    expect(validateUpdate(next, stored()).map(formatCause)).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"nginx","tier":"web"}}: field is immutable',
    ]);
  });

  it('checks workload status written by controllers', () => {
    const next = stored();
    next.status = { replicas: 2, readyReplicas: 1, availableReplicas: 3 };
    expect(validateUpdate(next, stored()).map(formatCause)).toEqual([
      'status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas',
    ]);
  });

  it('refuses new finalizers on an object being deleted, allows removing them', () => {
    const prev = stored();
    (prev.metadata as ServerObjectMeta).deletionTimestamp = '2026-01-01T00:01:00Z';
    prev.metadata!.finalizers = ['example.com/a'];
    const more = structuredClone(prev);
    more.metadata!.finalizers = ['example.com/a', 'example.com/b'];
    expect(validateUpdate(more, prev).map(formatCause)).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ["example.com/b"]',
    ]);
    const fewer = structuredClone(prev);
    fewer.metadata!.finalizers = [];
    expect(validateUpdate(fewer, prev)).toEqual([]);
  });

  it('refuses renames and uid changes', () => {
    const next = stored();
    next.metadata!.name = 'other';
    (next.metadata as ServerObjectMeta).uid = 'u2';
    expect(validateUpdate(next, stored()).map((c) => c.field)).toEqual(['metadata.name', 'metadata.uid']);
  });

  it('lets a pod update change images and add tolerations, nothing else', () => {
    const prev = applyDefaults(simplePod());
    const ok = structuredClone(prev);
    ok.spec!.containers[0]!.image = 'nginx:1.27';
    ok.spec!.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }];
    expect(validateUpdate(ok, prev)).toEqual([]);
    const bad = structuredClone(prev);
    bad.spec!.containers[0]!.command = ['sh'];
    const causes = validateUpdate(bad, prev);
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ reason: 'FieldValueForbidden', field: 'spec' });
    expect(causes[0]!.message).toMatch(/^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  });

  it('keeps a Secret type and an immutable ConfigMap fixed', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'd' }, type: 'Opaque' };
    expect(validateUpdate({ ...secret, type: 'kubernetes.io/basic-auth', data: { username: 'dQ==' } }, secret).map(formatCause)).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
    ]);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, immutable: true, data: { a: '1' } };
    expect(validateUpdate({ ...cm, data: { a: '2' } }, cm).map(formatCause)).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
  });
});
