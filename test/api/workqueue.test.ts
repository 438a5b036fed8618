import { describe, expect, it, vi } from 'vitest';
import {
  ExponentialBackoffLimiter,
  MaxOfLimiter,
  TerminalError,
  TokenBucketLimiter,
  WorkQueue,
  defaultControllerRateLimiter,
  keyOf,
  runWorkers,
  splitKey,
} from '../../api/index.js';

describe('WorkQueue', () => {
  it('holds a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key that is being processed; re-adds it once at done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    expect(key).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0); // dirty, but held back while processing
    expect(q.isProcessing('a')).toBe(true);
    q.done('a');
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.length).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue();
    const pending = q.get();
    q.add('x');
    await expect(pending).resolves.toBe('x');
  });

  it('delays addAfter and keeps the earliest of two delayed adds', async () => {
    const q = new WorkQueue();
    const start = performance.now();
    q.addAfter('k', 200);
    q.addAfter('k', 30);
    expect(q.length).toBe(0);
    expect(await q.get()).toBe('k');
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
    q.done('k');
    // The later add was replaced, not kept: nothing arrives when its time comes.
    await new Promise((r) => setTimeout(r, 250));
    expect(q.length).toBe(0);
  });

  it('shutDown wakes workers with undefined and waits for keys in process', async () => {
    const q = new WorkQueue();
    q.add('busy');
    expect(await q.get()).toBe('busy');
    const idle = q.get();
    let stopped = false;
    const down = q.shutDown().then(() => (stopped = true));
    await expect(idle).resolves.toBeUndefined();
    expect(stopped).toBe(false);
    q.done('busy');
    await down;
    expect(stopped).toBe(true);
    q.add('late');
    expect(q.length).toBe(0);
  });
});

describe('rate limiters', () => {
  it('backs a key off exponentially from 5 ms to 1000 s, and forget resets it', () => {
    const l = new ExponentialBackoffLimiter();
    const delays = Array.from({ length: 5 }, () => l.when('k'));
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    expect(l.when('other')).toBe(5);
    for (let i = 0; i < 40; i++) l.when('k');
    expect(l.when('k')).toBe(1000_000);
    expect(l.retries('k')).toBe(46);
    l.forget('k');
    expect(l.when('k')).toBe(5);
  });

  it('limits overall retries to the bucket rate after the burst', () => {
    let now = 0;
    const b = new TokenBucketLimiter(10, 3, () => now);
    expect([b.when(), b.when(), b.when()]).toEqual([0, 0, 0]);
    expect(b.when()).toBeCloseTo(100);
    now = 1000; // 10 tokens refill, capped at the burst
    expect(b.when()).toBe(0);
  });

  it('takes the larger delay of per-key and overall limits', () => {
    let now = 0;
    const l = new MaxOfLimiter(new ExponentialBackoffLimiter(5, 1000), new TokenBucketLimiter(1, 1, () => now));
    expect(l.when('a')).toBe(5);
    expect(l.when('b')).toBeCloseTo(1000);
    expect(defaultControllerRateLimiter().when('x')).toBe(5);
  });
});

describe('runWorkers', () => {
  it('retries a failing key with backoff until it succeeds, then forgets it', async () => {
    const q = new WorkQueue(new ExponentialBackoffLimiter(1, 50));
    const attempts: number[] = [];
    const errors: boolean[] = [];
    const run = runWorkers(
      q,
      async (key) => {
        attempts.push(q.numRequeues(key));
        if (attempts.length < 3) throw new Error('not yet');
      },
      { onError: (_k, _e, retry) => errors.push(retry) },
    );
    q.add('a');
    await vi.waitFor(() => expect(attempts).toEqual([0, 1, 2]), { timeout: 2000 });
    expect(errors).toEqual([true, true]);
    expect(q.numRequeues('a')).toBe(0);
    await q.shutDown();
    await run;
  });

  it('drops a key that fails with a TerminalError', async () => {
    const q = new WorkQueue(new ExponentialBackoffLimiter(1, 10));
    let calls = 0;
    const seen: boolean[] = [];
    const run = runWorkers(q, async () => {
      calls++;
      throw new TerminalError('bad spec');
    }, { onError: (_k, _e, retry) => seen.push(retry) });
    q.add('a');
    await vi.waitFor(() => expect(seen).toEqual([false]));
    await new Promise((r) => setTimeout(r, 50)); // a retry, if there were one, would have run
    expect(calls).toBe(1);
    await q.shutDown();
    await run;
  });

  it('never runs one key twice at once, even with many workers', async () => {
    const q = new WorkQueue();
    const running = new Set<string>();
    let overlap = false;
    let runs = 0;
    const run = runWorkers(q, async (key) => {
      if (running.has(key)) overlap = true;
      running.add(key);
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      running.delete(key);
    }, { workers: 4 });
    // Two bursts of 10 adds over 3 keys; the second arrives while the first is processed.
    for (let i = 0; i < 10; i++) q.add(`k${i % 3}`);
    await new Promise((r) => setTimeout(r, 1));
    for (let i = 0; i < 10; i++) q.add(`k${i % 3}`);
    await vi.waitFor(() => expect(q.length).toBe(0));
    await q.shutDown();
    await run;
    expect(overlap).toBe(false);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(6); // 20 adds, at most one queued and one dirty per key
  });

  it('requeues after the delay a handler asks for', async () => {
    const q = new WorkQueue();
    let calls = 0;
    const run = runWorkers(q, async () => (++calls === 1 ? { requeueAfter: 20 } : undefined));
    q.add('a');
    await vi.waitFor(() => expect(calls).toBe(2), { timeout: 2000 });
    await q.shutDown();
    await run;
  });
});

describe('keys', () => {
  it('uses namespace/name, or name for cluster-scoped objects', () => {
    expect(keyOf({ metadata: { namespace: 'd', name: 'web' } })).toBe('d/web');
    expect(keyOf({ metadata: { name: 'node-1' } })).toBe('node-1');
    expect(splitKey('d/web')).toEqual({ namespace: 'd', name: 'web' });
    expect(splitKey('node-1')).toEqual({ namespace: '', name: 'node-1' });
  });
});
