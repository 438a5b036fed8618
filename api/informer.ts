// The informer: a local, indexed copy of one resource type kept current by the reflector
// loop (client-go's Reflector + Indexer + SharedInformer handlers):
//
//   list (all pages) ──► replace the store, fire add/update/delete for the differences
//        │               remember the list's resourceVersion; hasSynced() becomes true
//        ▼
//   watch from that resourceVersion, allowWatchBookmarks
//        │  ADDED/MODIFIED/DELETED ─► store + handlers; resourceVersion advances
//        │  BOOKMARK               ─► resourceVersion advances, nothing else
//        │  server timeout         ─► watch again from the same resourceVersion
//        │  ERROR 410 Expired      ─► list again (the history we needed is compacted)
//        └  broken connection      ─► back off (0.8 s doubling to 30 s), watch again
//
// Handlers run in event order, one at a time. Objects in the store are shared: never
// mutate them (copy first), exactly as with client-go's cache.

import { isExpired, type ResourceClient } from './client.js';
import type { KubeObject, Status, WatchEvent } from './types.js';
import { keyOf } from './workqueue.js';
import { sleep } from './sleep.js';

/** Reacts to changes; all three are optional. */
export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** For an object gone while the watch was down, this is its last known state. */
  onDelete?(obj: T): void;
}

/** Computes index values for an object (e.g. its owner UIDs); an object may have several. */
export type IndexFunc<T> = (obj: T) => string[];

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Named secondary indexes beyond the built-in 'namespace' one. */
  indexers?: Record<string, IndexFunc<T>>;
  /** Fire onUpdate(obj, obj) for every cached object this often (a safety net); 0: never. */
  resyncMs?: number;
  /** List page size. Default 500, as client-go. */
  pageSize?: number;
  /** Called when a list or watch fails (it is retried) or a handler throws. Default: a line on stderr. */
  onError?: (err: unknown) => void;
  /** Backoff after failures: initial and maximum delay. Default 800 ms .. 30 s. */
  backoff?: { initialMs: number; maxMs: number };
}

/** Index by a label's value: `informer.byIndex('app', 'web')`. */
export function labelIndex<T extends KubeObject>(label: string): IndexFunc<T> {
  return (obj) => {
    const v = obj.metadata?.labels?.[label];
    return v === undefined ? [] : [v];
  };
}

/** Index by the UIDs of an object's owners: how a controller finds the pods it owns. */
export function ownerIndex<T extends KubeObject>(): IndexFunc<T> {
  return (obj) => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid);
}

/** A list+watch cache of one resource type. */
export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly indexers: Record<string, IndexFunc<T>>;
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly syncWaiters: Array<() => void> = [];
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private synced = false;
  private resourceVersion = '';

  constructor(
    readonly resource: ResourceClient<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.indexers = { namespace: (o) => [o.metadata?.namespace ?? ''], ...(opts.indexers ?? {}) };
    for (const name of Object.keys(this.indexers)) this.indexes.set(name, new Map());
  }

  /** Adds secondary indexes (e.g. a second component sharing this informer needs its own). */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers[name]) {
        if (this.indexers[name] !== fn) throw new Error(`informer for ${this.resource.type.plural}: index ${name} already exists`);
        continue;
      }
      this.indexers[name] = fn;
      const index = new Map<string, Set<string>>();
      this.indexes.set(name, index);
      for (const [key, obj] of this.store) {
        for (const v of fn(obj)) {
          let set = index.get(v);
          if (!set) index.set(v, (set = new Set()));
          set.add(key);
        }
      }
    }
  }

  /** Registers handlers. Registered after sync, onAdd is replayed for every cached object. */
  addHandlers(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
    if (this.synced) for (const obj of this.store.values()) this.call(() => handlers.onAdd?.(obj));
  }

  /** Starts the reflector loop in the background. Idempotent. */
  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const obj of this.store.values()) for (const h of this.handlers) this.call(() => h.onUpdate?.(obj, obj));
      }, this.opts.resyncMs);
      this.resyncTimer.unref?.();
    }
  }

  /** Stops watching; the store keeps its last contents. */
  async stop(): Promise<void> {
    this.controller?.abort();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.loop;
    this.loop = undefined;
  }

  /** True once the first list has been applied to the store. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once hasSynced() is true; rejects when `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error(`wait for ${this.resource.type.plural} cache sync: aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** The resourceVersion the cache is current to ('' before the first list). */
  get lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** The cached object with this key ('ns/name' or { namespace, name }). */
  get(key: string | { namespace?: string; name: string }): T | undefined {
    return this.store.get(typeof key === 'string' ? key : keyOf({ metadata: key }));
  }

  /** Every cached object (in no particular order). */
  list(): T[] {
    return [...this.store.values()];
  }

  /** Cached objects whose index `name` contains `value`; 'namespace' is always there. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`informer for ${this.resource.type.plural}: no index named ${name}`);
    return [...(index.get(value) ?? [])].map((k) => this.store.get(k)!).filter(Boolean);
  }

  private report(err: unknown): void {
    if (this.opts.onError) this.opts.onError(err);
    else console.error(`informer ${this.resource.type.plural}: ${err instanceof Error ? err.message : String(err)}`);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  private setObject(obj: T): void {
    const key = keyOf(obj);
    const old = this.store.get(key);
    if (old) this.unindex(key, old);
    this.store.set(key, obj);
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        let set = index.get(v);
        if (!set) index.set(v, (set = new Set()));
        set.add(key);
      }
    }
    for (const h of this.handlers) {
      if (old) this.call(() => h.onUpdate?.(old, obj));
      else this.call(() => h.onAdd?.(obj));
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = index.get(v);
        set?.delete(key);
        if (set?.size === 0) index.delete(v);
      }
    }
  }

  private deleteObject(key: string, last?: T): void {
    const old = this.store.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.store.delete(key);
    for (const h of this.handlers) this.call(() => h.onDelete?.(last ?? old));
  }

  // Applies a full list: new objects are adds, changed ones updates, missing ones deletes.
  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const old = this.store.get(key);
      if (!old || old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.setObject(item);
    }
    for (const key of [...this.store.keys()]) if (!seen.has(key)) this.deleteObject(key);
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const list = await this.resource.listAll({
      signal,
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      limit: this.opts.pageSize ?? 500,
    });
    // List items often omit kind/apiVersion; the cache hands out complete objects.
    const apiVersion = this.resource.type.group ? `${this.resource.type.group}/${this.resource.type.version}` : this.resource.type.version;
    const items = list.items.map((i) => (i.kind ? i : ({ ...i, apiVersion, kind: this.resource.type.kind } as T)));
    this.replace(items);
    this.resourceVersion = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private applyEvent(ev: WatchEvent<T>): 'ok' | 'relist' {
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.setObject(ev.object);
        break;
      case 'DELETED':
        this.deleteObject(keyOf(ev.object), ev.object);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const status = ev.object as unknown as Status;
        if (status.code === 410) return 'relist';
        throw new Error(`watch ${this.resource.type.plural}: server sent an error: ${status.message ?? status.reason ?? 'unknown'}`);
      }
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    return 'ok';
  }

  private async run(signal: AbortSignal): Promise<void> {
    const initial = this.opts.backoff?.initialMs ?? 800;
    const max = this.opts.backoff?.maxMs ?? 30_000;
    let delay = initial;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
        }
        // client-go picks a random timeout in [5, 10) minutes so watches do not expire together.
        const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
        const events = this.resource.watch({
          namespace: this.opts.namespace,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          signal,
        });
        const started = performance.now();
        let received = 0;
        for await (const ev of events) {
          received++;
          if (this.applyEvent(ev) === 'relist') {
            needList = true;
            break;
          }
          delay = initial;
        }
        // A watch the server closes at once with nothing in it would otherwise spin.
        if (!needList && received === 0 && performance.now() - started < 1000) {
          await sleep(delay, signal);
          delay = Math.min(delay * 2, max);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (isExpired(err)) {
          needList = true;
          continue;
        }
        this.report(err);
        await sleep(delay * (1 + Math.random() * 0.2), signal);
        delay = Math.min(delay * 2, max);
      }
    }
  }
}
