// The controllers `skiff server` runs. Each one is a reconciler fed by informers through a
// work queue (api/); they reach the cluster only through the API, like any other client.
import { Informer, WorkQueue, keyOf, runWorkers, type KubeClient, type Namespace } from '../api/index.js';
import { NamespaceController } from './namespace.js';

export { NamespaceController, NAMESPACE_FINALIZER } from './namespace.js';

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
  const enqueue = (ns: Namespace) => queue.add(keyOf(ns));
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
