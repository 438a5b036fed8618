// Periodic compaction, as kube-apiserver does for etcd (--etcd-compaction-interval, 5 minutes):
// each tick compacts to the revision recorded on the previous tick, so history always covers
// at least one interval. A watcher that falls further behind gets 410 Gone and re-lists.
// Without it the SQLite log (and etcd's history) grows with every write forever.
import type { Storage } from './interface.js';

export interface CompactorOptions {
  /** Time between compactions (ms). Default 5 minutes. */
  intervalMs?: number;
  /** Told about a failed tick; the next tick tries again. */
  onError?: (err: Error) => void;
}

/** A running compactor; stop() ends it. */
export interface Compactor {
  stop(): void;
}

/** Compacts `storage` every interval to the revision current one interval earlier. */
export function startCompactor(storage: Storage, opts: CompactorOptions = {}): Compactor {
  const intervalMs = opts.intervalMs ?? 5 * 60_000;
  let previous: number | undefined;
  let running = false;
  const tick = async () => {
    if (running) return; // a slow compaction is never overlapped by the next
    running = true;
    try {
      const current = await storage.currentRevision();
      if (previous !== undefined && previous > 0) await storage.compact(previous);
      previous = current;
    } catch (err) {
      opts.onError?.(err as Error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return { stop: () => clearInterval(timer) };
}
