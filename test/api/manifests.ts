// Manifests in the shape people copy from the Kubernetes docs; shared by the api tests.
import type { Deployment, KubeObject, Pod } from '../../api/index.js';

/** The nginx Deployment from the Kubernetes docs, plus the fields real charts add. */
export function docsDeployment(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx-deployment', namespace: 'default', labels: { app: 'nginx' }, creationTimestamp: null as unknown as string },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      strategy: {},
      template: {
        metadata: { labels: { app: 'nginx' }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.14.2',
              ports: [{ containerPort: 80, name: 'http' }],
              resources: { limits: { cpu: 1 as unknown as string, memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 3, periodSeconds: 3 },
              readinessProbe: { tcpSocket: { port: 80 } },
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'MODE', value: 'prod' },
              ],
              envFrom: [{ configMapRef: { name: 'cfg' } }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg', readOnly: true }],
              securityContext: { runAsNonRoot: true, runAsUser: 1000, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
              lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 5'] } } },
            },
          ],
          initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
          volumes: [
            { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
            { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.conf' }] } },
          ],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }],
              },
            },
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'nginx' } }, topologyKey: 'kubernetes.io/hostname' } },
              ],
            },
          },
          tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
          nodeSelector: { 'kubernetes.io/arch': 'amd64' },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'nginx' } } }],
          securityContext: { fsGroup: 2000 },
        },
      },
    },
    status: {},
  };
}

/** A pod built by hand, as `kubectl run` would send it (before defaulting). */
export function simplePod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: [{ name: 'web', image: 'nginx' }] },
  };
}

export function clone<T extends KubeObject>(o: T): T {
  return structuredClone(o);
}
