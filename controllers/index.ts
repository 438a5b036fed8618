// The controllers `skiff server` runs. Each one is a reconciler fed by informers through a
// work queue (api/); they reach the cluster only through the API, like any other client.
import { Informer, WorkQueue, keyOf, runWorkers, type KubeClient, type Namespace } from '../api/index.js';
import { NAMESPACE_DELETION_GRACE_MS, NamespaceController } from './namespace.js';

export { NamespaceController, NAMESPACE_FINALIZER, NAMESPACE_DELETION_GRACE_MS } from './namespace.js';

/** Running controllers; stop() ends their watches and waits for in-flight work. */
export interface RunningControllers {
  stop(): Promise<void>;
}

/** Starts every controller against the API server `client` talks to. */
export async function startControllers(
  client: KubeClient,
  opts: { onError?: (controller: string, key: string, err: unknown) => void } = {},
): Promise<RunningControllers> {
  const namespaces = new Informer<Namespace>(client.resource('Namespace'));
  const queue = new WorkQueue();
  // As Kubernetes' namespace controller does, a namespace's deletion is acted on only after
  // a grace period: it lets every API server observe the deletion and lets clients that are
  // deleting the namespace's contents themselves (kubectl delete -f) finish first.
  const enqueue = (ns: Namespace) => queue.addAfter(keyOf(ns), NAMESPACE_DELETION_GRACE_MS);
  namespaces.addHandlers({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  namespaces.start();
  await namespaces.waitForSync();

  const controller = new NamespaceController(client, namespaces);
  const workers = runWorkers(queue, (key) => controller.reconcile(key), {
    workers: 2,
    onError: (key, err) => opts.onError?.('namespace', key, err),
  });

  return {
    async stop() {
      await queue.shutDown();
      await workers;
      await namespaces.stop();
    },
  };
}
