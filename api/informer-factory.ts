// One informer per resource type for a whole process: when the Deployment, ReplicaSet and
// garbage collector controllers all need pods, they share one list+watch and one cache
// (client-go's SharedInformerFactory).

import type { KubeClient } from './client.js';
import { Informer, type IndexFunc, type InformerOptions } from './informer.js';
import type { KindTypes, ServedKind } from './types.js';

/** Hands out shared informers and starts, syncs and stops them together. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer<never>>();
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly defaults: Pick<InformerOptions<never>, 'resyncMs' | 'onError' | 'pageSize' | 'backoff'> = {},
  ) {}

  /**
   * The shared informer for `kind` (one per kind and namespace; '' or omitted: all
   * namespaces). `indexers` are added to it. Created after start(), it starts at once.
   */
  informer<K extends ServedKind>(kind: K, opts: { namespace?: string; indexers?: Record<string, IndexFunc<KindTypes[K]>> } = {}): Informer<KindTypes[K]> {
    const id = `${kind}/${opts.namespace ?? ''}`;
    let inf = this.informers.get(id) as unknown as Informer<KindTypes[K]> | undefined;
    if (!inf) {
      inf = new Informer(this.client.resource(kind), { ...(this.defaults as InformerOptions<KindTypes[K]>), namespace: opts.namespace });
      this.informers.set(id, inf as unknown as Informer<never>);
      if (this.started) inf.start();
    }
    if (opts.indexers) inf.addIndexers(opts.indexers);
    return inf;
  }

  /** Starts every informer handed out so far. */
  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves when every informer has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((inf) => inf.waitForSync(signal)));
  }

  /** Stops every informer. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((inf) => inf.stop()));
  }
}
