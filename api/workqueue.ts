// The rate-limited work queue controllers share (client-go's workqueue, in TypeScript):
//
// - a key waits in the queue at most once, however often it is added (dirty set);
// - a key being processed is never handed out again until done(); adding it meanwhile
//   marks it dirty, and done() queues it once more, so the latest state is always seen;
// - failures back off per key, 5 ms doubling to 1000 s, and overall at 10 keys/s with a
//   burst of 100 (client-go's DefaultControllerRateLimiter); forget() resets a key.

/** Computes how long a key must wait before its next retry. */
export interface RateLimiter {
  /** Delay for this key's next retry; counts the failure. */
  when(key: string): number;
  /** The key succeeded: its backoff starts over. */
  forget(key: string): void;
  /** Failures counted for the key since the last forget. */
  retries(key: string): number;
}

/** Per-key exponential backoff: base * 2^failures, capped (client-go ItemExponentialFailureRateLimiter). */
export class ExponentialBackoffLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long after the cap; Math.min keeps it finite.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** Overall token bucket: `qps` retries a second after a burst of `burst` (client-go BucketRateLimiter). */
export class TokenBucketLimiter implements RateLimiter {
  private tokens: number;
  private last: number;
  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  when(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    // A negative balance is a reservation: wait until it would have refilled.
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go MaxOfRateLimiter). */
export class MaxOfLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }
  when(key: string): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }
  retries(key: string): number {
    return Math.max(...this.limiters.map((l) => l.retries(key)));
  }
}

/** client-go's default for controllers: per-key 5 ms..1000 s, overall 10 qps / burst 100. */
export function defaultControllerRateLimiter(): RateLimiter {
  return new MaxOfLimiter(new ExponentialBackoffLimiter(5, 1000_000), new TokenBucketLimiter(10, 100));
}

/** A de-duplicating, rate-limited queue of string keys (usually 'namespace/name'). */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private drained: Array<() => void> = [];

  constructor(readonly rateLimiter: RateLimiter = defaultControllerRateLimiter()) {}

  /** Queues `key` unless it is already queued; a key being processed is queued again at done(). */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) {
      // Hand the key straight to a waiting worker.
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Queues `key` after `delayMs`; an earlier pending add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = performance.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.waiting.set(key, { at, timer });
  }

  /** Queues `key` after its rate-limited backoff (call after a failure). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Resets the key's backoff (call after a success). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** How many times the key has failed since its last forget. */
  numRequeues(key: string): number {
    return this.rateLimiter.retries(key);
  }

  /**
   * The next key to process, waiting for one if the queue is empty. Resolves undefined once
   * the queue is shut down. The caller must call done(key) when finished with it.
   */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    if (this.processing.size === 0) for (const resolve of this.drained.splice(0)) resolve();
  }

  /** Keys waiting to be handed out (not counting delayed or in-process ones). */
  get length(): number {
    return this.queue.length;
  }

  /** True while `key` is handed out and not yet done. */
  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops the queue: no more adds, waiting workers get undefined, delayed adds are dropped.
   * Resolves when the keys being processed are done.
   */
  shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    this.queue.length = 0;
    this.dirty.clear();
    for (const getter of this.getters.splice(0)) getter(undefined);
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }
}

/** An error no retry can fix (bad input): the key is dropped instead of retried. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** What a key handler may ask for: processing again after a delay, even on success. */
export interface HandlerResult {
  requeueAfter?: number;
}

export interface WorkerOptions {
  /** Parallel workers; one key is still never processed twice at once. Default 1. */
  workers?: number;
  /** Called for each failure (retried or terminal), for logs and Events. */
  onError?: (key: string, err: unknown, willRetry: boolean) => void;
}

/**
 * Runs `handle` on keys from the queue until it is shut down: success forgets the key's
 * backoff (and honours requeueAfter), a thrown error retries it with backoff, a
 * TerminalError drops it. Resolves when every worker has stopped.
 */
export async function runWorkers(
  queue: WorkQueue,
  handle: (key: string) => Promise<HandlerResult | void>,
  opts: WorkerOptions = {},
): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await handle(key);
        queue.forget(key);
        if (result?.requeueAfter !== undefined) queue.addAfter(key, result.requeueAfter);
      } catch (err) {
        const terminal = err instanceof TerminalError;
        if (terminal) queue.forget(key);
        else queue.addRateLimited(key);
        opts.onError?.(key, err, !terminal);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, worker));
}

/** The queue key of an object: 'namespace/name', or 'name' for cluster-scoped objects. */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Splits a queue key back into namespace ('' when cluster-scoped) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
