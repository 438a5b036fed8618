import { describe, expect, it } from 'vitest';
import { applyDefaults, defaultPullPolicy } from '../../api/index.js';
import type { Deployment, Namespace, Node, Pod, Secret, Service } from '../../api/index.js';
import { docsDeployment, simplePod } from './manifests.js';

describe('image pull policy default', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/app', 'Always'],
    ['registry.local:5000/app:v2', 'IfNotPresent'],
    ['registry.local:5000/app:latest', 'Always'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
  ])('%s -> %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});

describe('pod defaults', () => {
  it('fills what kubectl describe shows for a bare pod', () => {
    const pod = applyDefaults(simplePod());
    expect(pod.spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
    });
  });

  it('keeps what the user wrote', () => {
    const pod = simplePod();
    pod.spec!.restartPolicy = 'Never';
    pod.spec!.containers[0]!.imagePullPolicy = 'Never';
    pod.spec!.terminationGracePeriodSeconds = 0;
    applyDefaults(pod);
    expect(pod.spec!.restartPolicy).toBe('Never');
    expect(pod.spec!.containers[0]!.imagePullPolicy).toBe('Never');
    expect(pod.spec!.terminationGracePeriodSeconds).toBe(0);
  });

  it('defaults ports, probes, env field refs, requests from limits and volume modes', () => {
    const pod: Pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' },
      spec: {
        hostNetwork: true,
        containers: [{
          name: 'c', image: 'app:1',
          ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
          livenessProbe: { httpGet: { port: 8080 } },
          env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { memory: '512Mi' } },
        }],
        volumes: [{ name: 's', secret: { secretName: 's' } }, { name: 'empty' } as never],
      },
    };
    applyDefaults(pod);
    const c = pod.spec!.containers[0]!;
    expect(c.ports).toEqual([
      { containerPort: 8080, protocol: 'TCP', hostPort: 8080 },
      { containerPort: 53, protocol: 'UDP', hostPort: 53 },
    ]);
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
    });
    expect(c.env![0]!.valueFrom!.fieldRef!.apiVersion).toBe('v1');
    expect(c.resources!.requests).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(pod.spec!.volumes![0]!.secret!.defaultMode).toBe(420);
    expect(pod.spec!.volumes![1]!.emptyDir).toEqual({});
  });

  it('stores numeric quantities in Kubernetes notation', () => {
    const pod = simplePod();
    pod.spec!.containers[0]!.resources = { limits: { cpu: 0.5 as unknown as string, memory: 1048576 as unknown as string } };
    applyDefaults(pod);
    expect(pod.spec!.containers[0]!.resources).toEqual({ limits: { cpu: '500m', memory: '1048576' }, requests: { cpu: '500m', memory: '1048576' } });
  });
});

describe('workload defaults', () => {
  it('defaults a Deployment as kube-apiserver does (P10)', () => {
    const d: Deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } } },
    };
    applyDefaults(d);
    expect(d.spec!.replicas).toBe(1);
    expect(d.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(d.spec!.revisionHistoryLimit).toBe(10);
    expect(d.spec!.progressDeadlineSeconds).toBe(600);
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.ports![0]!.protocol).toBe('TCP');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(d.spec!.template.spec!.restartPolicy).toBe('Always');
  });

  it('does not copy limits into requests, or ports into host ports, in templates (Pods only)', () => {
    const d = docsDeployment();
    d.spec!.template.spec!.hostNetwork = true;
    d.spec!.template.spec!.containers[0]!.resources = { limits: { cpu: '1' } };
    applyDefaults(d);
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.resources).toEqual({ limits: { cpu: '1' } });
    expect(c.ports![0]!.hostPort).toBeUndefined();
  });

  it('leaves a Recreate strategy without rollingUpdate', () => {
    const d = docsDeployment();
    d.spec!.strategy = { type: 'Recreate' };
    applyDefaults(d);
    expect(d.spec!.strategy).toEqual({ type: 'Recreate' });
  });

  it('defaults ReplicaSet replicas and its template', () => {
    const rs = applyDefaults({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } },
    } as Record<string, unknown> & { spec: { replicas?: number; template: { spec: { dnsPolicy?: string } } } });
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
  });
});

describe('other kinds', () => {
  it('defaults a Service: ClusterIP, None affinity, TCP, targetPort = port', () => {
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { a: 'b' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } };
    applyDefaults(svc);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster' });
    expect(svc.spec!.ports).toEqual([
      { port: 80, protocol: 'TCP', targetPort: 80 },
      { port: 53, protocol: 'UDP', targetPort: 'dns' },
    ]);
    expect(svc.spec!.externalTrafficPolicy).toBeUndefined();
  });

  it('gives NodePort services an external traffic policy and ClientIP affinity its timeout', () => {
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } };
    applyDefaults(svc);
    expect(svc.spec!.externalTrafficPolicy).toBe('Cluster');
    expect(svc.spec!.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  it('defaults Secret type Opaque', () => {
    const s: Secret = applyDefaults({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    expect(s.type).toBe('Opaque');
  });

  it('gives a Namespace its finalizer, phase and name label', () => {
    const ns: Namespace = applyDefaults({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(ns.metadata!.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
  });

  it('copies node capacity into allocatable when unset', () => {
    const node: Node = applyDefaults({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { capacity: { cpu: '2', pods: '110' } } });
    expect(node.status!.allocatable).toEqual({ cpu: '2', pods: '110' });
  });

  it('leaves kinds without defaults alone', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(applyDefaults(structuredClone(cm))).toEqual(cm);
  });
});
