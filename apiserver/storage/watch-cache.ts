// The watch cache for one key prefix (one resource): a single upstream storage watch feeds a
// current snapshot and a bounded window of recent events, and any number of API watchers are
// served from memory. This is kube-apiserver's cacher in miniature: a thousand kubelets
// watching pods cost one etcd watch, not a thousand.
//
//   start():  list prefix at latest  ->  snapshot, windowStart = list revision
//             watch prefix after it  ->  each event: update snapshot, append to window
//                                        (evicting the oldest past windowSize), fan out
//   watch(R): R < windowStart        ->  CompactedError (the API answers 410 Gone; the client re-lists)
//             otherwise              ->  replay window events > R, then live events
//
// Replay and registration happen in one synchronous step, so a watcher neither misses nor
// repeats an event that arrives while it starts.
import { CompactedError, StorageError, type KeyValue, type Storage, type Watch, type WatchEvent } from './interface.js';
import { Subscriber } from './subscriber.js';

export interface WatchCacheOptions {
  /** The key prefix this cache mirrors, e.g. `/registry/pods/`. */
  prefix: string;
  /** How many recent events are kept for watchers that start in the past. Default 1000. */
  windowSize?: number;
  /** Delay before re-listing after the upstream watch failed (ms). Default 1000. */
  restartDelayMs?: number;
}

export interface CacheWatchOptions {
  /** Deliver every matching event with revision > afterRevision. */
  afterRevision: number;
  /** Only events for which this returns true (a label or field selector, a namespace). */
  filter?: (event: WatchEvent) => boolean;
  onEvents: (events: WatchEvent[]) => void;
  /** Called once when the watch ends: CompactedError when afterRevision left the window or the cache restarted. */
  onError: (err: Error) => void;
  /** The revision every delivered event is complete up to, when idle (for bookmarks). */
  onProgress?: (revision: number) => void;
}

/** A snapshot of the cached state: items sorted by key, as of `revision`. */
export interface CacheSnapshot {
  items: KeyValue[];
  revision: number;
}

interface CacheWatcher {
  subscriber: Subscriber;
  filter?: (event: WatchEvent) => boolean;
}

/** One upstream watch for `prefix`, fanned out to many filtered watchers. */
export class WatchCache {
  private readonly windowSize: number;
  private readonly restartDelayMs: number;
  private readonly state = new Map<string, KeyValue>();
  private window: WatchEvent[] = [];
  /** The cache holds every event with revision > windowStart. */
  private windowStart = 0;
  private currentRevision = 0;
  private readonly watchers = new Set<CacheWatcher>();
  private upstream: Watch | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ready = false;

  constructor(private readonly storage: Storage, private readonly opts: WatchCacheOptions) {
    this.windowSize = opts.windowSize ?? 1000;
    this.restartDelayMs = opts.restartDelayMs ?? 1000;
  }

  /** Lists the prefix and starts the upstream watch; resolves once the snapshot is complete. */
  async start(): Promise<void> {
    const list = await this.storage.list({ prefix: this.opts.prefix });
    if (this.stopped) return;
    this.state.clear();
    for (const kv of list.items) this.state.set(kv.key, kv);
    this.window = [];
    this.windowStart = list.revision;
    this.currentRevision = list.revision;
    this.upstream = this.storage.watch({
      prefix: this.opts.prefix,
      afterRevision: list.revision,
      onEvents: (events) => this.apply(events),
      onError: (err) => this.restart(err),
      onProgress: (revision) => this.progress(revision),
    });
    this.ready = true;
  }

  /** The revision the snapshot and window are complete up to. */
  revision(): number {
    return this.currentRevision;
  }

  /**
   * The current state under `prefix` (default: the whole cache), for lists at resourceVersion=0.
   * Throws StorageError while not ready (see isReady): list from storage instead.
   */
  snapshot(prefix = this.opts.prefix): CacheSnapshot {
    this.checkReady('snapshot');
    const items = [...this.state.values()]
      .filter((kv) => kv.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { items, revision: this.currentRevision };
  }

  /**
   * The latest value of one key from memory. Undefined when the key is absent or the cache
   * is not ready: either way a caller that must not miss a just-written key reads storage.
   */
  get(key: string): KeyValue | undefined {
    return this.isReady ? this.state.get(key) : undefined;
  }

  /** True once the snapshot is complete, false while (re-)listing. */
  get isReady(): boolean {
    return this.ready && !this.stopped;
  }

  /**
   * Serves a watch from memory; CompactedError (async) when afterRevision is older than the
   * window or the cache is re-listing after an upstream failure.
   */
  watch(opts: CacheWatchOptions): Watch {
    if (this.stopped) throw new StorageError(`watch watch cache ${this.opts.prefix}: it has been stopped`);
    const watcher: CacheWatcher = {
      subscriber: new Subscriber(opts, opts.afterRevision, () => this.watchers.delete(watcher)),
      filter: opts.filter,
    };
    // While re-listing the cache has no window at all: the caller falls back to a storage
    // watch or re-lists, exactly as for a revision older than the window.
    if (!this.ready || opts.afterRevision < this.windowStart) {
      watcher.subscriber.failLater(new CompactedError(opts.afterRevision, this.windowStart));
      return watcher.subscriber;
    }
    for (let i = this.firstAfter(opts.afterRevision); i < this.window.length; i++) {
      this.offer(watcher, this.window[i]);
    }
    this.watchers.add(watcher);
    return watcher.subscriber;
  }

  /** Stops the upstream watch and ends every watcher. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.upstream?.cancel();
    for (const w of [...this.watchers]) w.subscriber.cancel();
  }

  private apply(events: WatchEvent[]): void {
    for (const event of events) {
      if (event.type === 'delete') this.state.delete(event.kv.key);
      else this.state.set(event.kv.key, event.kv);
      this.window.push(event);
      this.currentRevision = Math.max(this.currentRevision, event.kv.modRevision);
      for (const w of this.watchers) this.offer(w, event);
    }
    if (this.window.length > this.windowSize) {
      const evicted = this.window.length - this.windowSize;
      this.windowStart = this.window[evicted - 1].kv.modRevision;
      this.window = this.window.slice(evicted);
    }
  }

  private offer(w: CacheWatcher, event: WatchEvent): void {
    if (w.filter && !w.filter(event)) return;
    w.subscriber.enqueue(event);
  }

  private progress(revision: number): void {
    this.currentRevision = Math.max(this.currentRevision, revision);
    for (const w of [...this.watchers]) w.subscriber.progress(this.currentRevision);
  }

  // The upstream watch failed (compacted under a slow cache, etcd gone): end every watcher so
  // its client re-lists, then rebuild the cache from a fresh list.
  private restart(err: Error): void {
    this.ready = false;
    this.upstream = undefined;
    const reason = new CompactedError(this.currentRevision, this.currentRevision);
    reason.cause = err;
    for (const w of [...this.watchers]) w.subscriber.failLater(reason);
    if (this.stopped) return;
    const retry = () => {
      this.restartTimer = undefined;
      this.start().catch(() => {
        if (!this.stopped) this.restartTimer = setTimeout(retry, this.restartDelayMs);
      });
    };
    this.restartTimer = setTimeout(retry, this.restartDelayMs);
  }

  /** Index of the first window event with revision > rev (the window is in revision order). */
  private firstAfter(rev: number): number {
    let lo = 0;
    let hi = this.window.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.window[mid].kv.modRevision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private checkReady(what: string): void {
    if (this.stopped) throw new StorageError(`${what} watch cache ${this.opts.prefix}: it has been stopped`);
    if (!this.ready) throw new StorageError(`${what} watch cache ${this.opts.prefix}: not ready (start() has not completed or it is re-listing); read from storage instead`);
  }
}
