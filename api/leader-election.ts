// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does
// it: when several `skiff server`s share one etcd, exactly one runs the scheduler and the
// controllers. The Lease is the lock; writes are compare-and-swap on its resourceVersion.
//
//   candidate ──(lease free or expired: write holder=me)──► leader
//   leader ──(renew every retryPeriod)──► leader
//   leader ──(no successful renew within renewDeadline)──► stops leading (signal aborts)
//
// Expiry is judged on this process's clock from when it last saw the record change (never
// on the other holder's timestamps), so clock skew between machines does not matter.

import { isConflict, isNotFound, type KubeClient } from './client.js';
import type { Lease } from './types.js';
import { sleep } from './sleep.js';

export interface LeaderElectionOptions {
  /** The Lease used as the lock, e.g. { namespace: 'kube-system', name: 'skiff-controllers' }. */
  lease: { namespace: string; name: string };
  /** This candidate's unique identity (hostname plus a random suffix). */
  identity: string;
  /** How long a lease stays valid without renewal (default 15 s, as kube-controller-manager). */
  leaseDurationMs?: number;
  /** A leader that cannot renew for this long steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Runs while this candidate leads; `signal` aborts when leadership is lost or run() ends. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once leadership ends (lost or released). */
  onStoppedLeading?: () => void;
  /** Called when a different holder is observed (including '' for a released lease). */
  onNewLeader?: (identity: string) => void;
  /** Failed attempts (other than losing a race), for logs. */
  onError?: (err: unknown) => void;
}

// Lease times are MicroTime: RFC 3339 with microseconds.
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Campaigns for a Lease and runs a callback while it holds it. */
export class LeaderElector {
  private leading = false;
  private observedHolder = '';
  private observedRenew = '';
  private observedAt = 0;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error(`leader election for lease ${opts.lease.namespace}/${opts.lease.name}: renewDeadline must be shorter than leaseDuration`);
    }
  }

  /** True while this candidate holds the lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /** The last holder seen ('' when none). */
  get leader(): string {
    return this.observedHolder;
  }

  /**
   * Campaigns until `signal` aborts: acquires the lease, runs onStartedLeading, renews, and
   * campaigns again after losing it. On abort a leader releases the lease so another
   * candidate takes over at once instead of after leaseDuration.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await sleep(this.retryPeriodMs, signal);
        continue;
      }
      await this.lead(signal);
    }
  }

  private async lead(outer: AbortSignal): Promise<void> {
    this.leading = true;
    const leadership = new AbortController();
    const stopOnOuter = (): void => leadership.abort();
    outer.addEventListener('abort', stopOnOuter, { once: true });
    const work = Promise.resolve()
      .then(() => this.opts.onStartedLeading(leadership.signal))
      .catch((err: unknown) => this.opts.onError?.(err));
    let lastRenew = Date.now();
    while (!leadership.signal.aborted) {
      await sleep(this.retryPeriodMs, leadership.signal);
      if (leadership.signal.aborted) break;
      if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.renewDeadlineMs || this.observedHolder !== this.opts.identity) leadership.abort();
    }
    outer.removeEventListener('abort', stopOnOuter);
    this.leading = false;
    await work;
    if (outer.aborted) await this.release();
    this.opts.onStoppedLeading?.();
  }

  private observe(lease: Lease): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const renew = lease.spec?.renewTime ?? '';
    if (holder !== this.observedHolder || renew !== this.observedRenew) {
      if (holder !== this.observedHolder) this.opts.onNewLeader?.(holder);
      this.observedHolder = holder;
      this.observedRenew = renew;
      this.observedAt = Date.now();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const leases = this.client.resource('Lease');
    const key = this.opts.lease;
    const now = new Date();
    const spec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    try {
      let current: Lease;
      try {
        current = await leases.get(key);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await leases.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { namespace: key.namespace, name: key.name },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        this.observe(created);
        return true;
      }
      this.observe(current);
      const holder = current.spec?.holderIdentity ?? '';
      const mine = holder === this.opts.identity;
      const durationMs = (current.spec?.leaseDurationSeconds ?? 0) * 1000;
      if (!mine && holder !== '' && this.observedAt + durationMs > Date.now()) return false;
      const next: Lease = {
        ...current,
        spec: {
          ...current.spec,
          ...spec,
          acquireTime: mine ? current.spec?.acquireTime : microTime(now),
          // Every change of holder counts, a released lease ('' holder) included, as in client-go.
          leaseTransitions: (current.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
        },
      };
      this.observe(await leases.update(next));
      return true;
    } catch (err) {
      // Losing a race (409) is the normal way to not be leader; anything else is news.
      if (!isConflict(err)) this.opts.onError?.(err);
      return false;
    }
  }

  // Hands the lease over: empty holder, 1 s duration, so the next candidate need not wait.
  private async release(): Promise<void> {
    const leases = this.client.resource('Lease');
    try {
      const current = await leases.get(this.opts.lease);
      if (current.spec?.holderIdentity !== this.opts.identity) return;
      await leases.update({
        ...current,
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
      });
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
