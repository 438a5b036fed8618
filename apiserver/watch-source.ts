// Where watches come from: one WatchCache per resource (so a hundred watchers cost one
// storage watch), started on first use. A watch that starts before the cache's window
// (e.g. from a revision seen before a restart) falls back to a storage watch, which can
// still replay it from the revision log unless the store has compacted it.
import { WatchCache, CompactedError, type KeyValue, type Storage, type Watch, type WatchEvent, type CacheSnapshot } from './storage/index.js';
import type { ResourceInfo } from './resources.js';

export interface SourceWatchOptions {
  prefix: string;
  afterRevision: number;
  onEvents: (events: WatchEvent[]) => void;
  onError: (err: Error) => void;
  onProgress?: (revision: number) => void;
}

/** Watches and current-state snapshots for every resource, served from watch caches. */
export class WatchSource {
  private readonly caches = new Map<string, Promise<WatchCache>>();
  private readonly started = new Map<string, WatchCache>();

  constructor(readonly storage: Storage, private readonly windowSize = 1000) {}

  private cache(info: ResourceInfo): Promise<WatchCache> {
    let c = this.caches.get(info.resource);
    if (!c) {
      const cache = new WatchCache(this.storage, { prefix: `/registry/${info.resource}/`, windowSize: this.windowSize });
      c = cache.start().then(() => { this.started.set(info.resource, cache); return cache; });
      c.catch(() => this.caches.delete(info.resource));
      this.caches.set(info.resource, c);
    }
    return c;
  }

  /**
   * One object by storage key from memory, without waiting: undefined when the cache has not
   * started (it is started now, for next time) or does not hold the key. Admission uses it as
   * kube's NamespaceLifecycle uses its lister, reading storage when this says nothing.
   */
  peek(info: ResourceInfo, key: string): KeyValue | undefined {
    const cache = this.started.get(info.resource);
    if (!cache) void this.cache(info).catch(() => undefined);
    return cache?.get(key);
  }

  /** The current state under `prefix`, from memory. */
  async snapshot(info: ResourceInfo, prefix: string): Promise<CacheSnapshot> {
    return (await this.cache(info)).snapshot(prefix);
  }

  /** Every event under `prefix` after `afterRevision`; onError(CompactedError) when storage no longer has it. */
  async watch(info: ResourceInfo, opts: SourceWatchOptions): Promise<Watch> {
    const cache = await this.cache(info);
    let current: Watch | undefined;
    let cancelled = false;
    let delivered = false;
    current = cache.watch({
      afterRevision: opts.afterRevision,
      filter: (ev) => ev.kv.key.startsWith(opts.prefix),
      onEvents: (events) => { delivered = true; opts.onEvents(events); },
      onProgress: opts.onProgress,
      onError: (err) => {
        if (cancelled) return;
        if (err instanceof CompactedError && !delivered) {
          current = this.storage.watch(opts);
          if (cancelled) current.cancel();
          return;
        }
        opts.onError(err);
      },
    });
    return { cancel: () => { cancelled = true; current?.cancel(); } };
  }

  /** Stops every cache and the watchers they serve. */
  async close(): Promise<void> {
    for (const c of this.caches.values()) {
      try { (await c).stop(); } catch { /* a cache that never started has nothing to stop */ }
    }
    this.caches.clear();
  }
}
