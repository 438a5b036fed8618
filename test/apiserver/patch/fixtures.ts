// Objects shared by the patch tests: a Deployment as `kubectl apply` would have created it.
import { PatchError, type JsonObject } from '../../../apiserver/patch/index.js';

/** A Deployment with two env vars, one port, a volume and a RollingUpdate strategy. */
export function liveDeployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'x',
      namespace: 'default',
      uid: '6f1f-uid',
      resourceVersion: '41',
      labels: { app: 'x' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' },
      finalizers: ['example.com/a'],
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'x' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              args: ['a', 'b'],
              env: [
                { name: 'A', value: '1' },
                { name: 'KEEP', value: 'k' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
  };
}

/** The PatchError `fn` throws (any other error is rethrown; no error fails the test). */
export function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PatchError) return err;
    throw err;
  }
  throw new Error('expected a PatchError');
}
