import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector, type Lease } from '../../api/index.js';
import { startTestCluster, type TestCluster } from './server.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 100 };

interface Candidate {
  identity: string;
  elector: LeaderElector;
  stop: AbortController;
  running: Promise<void>;
  log: string[];
  errors: unknown[];
}

function candidate(identity: string, name: string): Candidate {
  const log: string[] = [];
  const errors: unknown[] = [];
  const elector = new LeaderElector(cluster.client, {
    lease: { namespace: 'kube-system', name },
    identity,
    ...timing,
    onStartedLeading: (signal) => {
      log.push('started');
      signal.addEventListener('abort', () => log.push('leadership signal aborted'));
    },
    onStoppedLeading: () => log.push('stopped'),
    onError: (e) => errors.push(e),
  });
  const stop = new AbortController();
  return { identity, elector, stop, running: elector.run(stop.signal), log, errors };
}

describe('leader election', () => {
  it('elects exactly one leader and hands over at once when it stops', async () => {
    const a = candidate('a', 'handover');
    const b = candidate('b', 'handover');
    try {
      await expect.poll(() => Number(a.elector.isLeader()) + Number(b.elector.isLeader()), { timeout: 10_000 }).toBe(1);
      const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
      const lease = await cluster.client.resource('Lease').get({ namespace: 'kube-system', name: 'handover' });
      expect(lease.spec?.holderIdentity).toBe(leader.identity);
      // Several renew periods later there is still exactly one leader (a stability check,
      // so it waits on purpose rather than polling for a change).
      await new Promise((r) => setTimeout(r, 500));
      expect(Number(a.elector.isLeader()) + Number(b.elector.isLeader())).toBe(1);

      const handedAt = Date.now();
      leader.stop.abort();
      await leader.running;
      expect(leader.log).toEqual(['started', 'leadership signal aborted', 'stopped']);
      // Released, so the follower need not wait out the 3 s lease.
      await expect.poll(() => follower.elector.isLeader(), { timeout: 10_000 }).toBe(true);
      expect(Date.now() - handedAt).toBeLessThan(timing.leaseDurationMs);
      const after = await cluster.client.resource('Lease').get({ namespace: 'kube-system', name: 'handover' });
      expect(after.spec?.holderIdentity).toBe(follower.identity);
      expect(after.spec?.leaseTransitions).toBe(1);
      expect([...a.errors, ...b.errors]).toEqual([]);
    } finally {
      a.stop.abort();
      b.stop.abort();
      await Promise.all([a.running, b.running]);
    }
  });

  it('steps down when another holder takes the lease', async () => {
    const a = candidate('a', 'stolen');
    try {
      await expect.poll(() => a.elector.isLeader(), { timeout: 10_000 }).toBe(true);
      const leases = cluster.client.resource('Lease');
      const lease = await leases.get({ namespace: 'kube-system', name: 'stolen' });
      await leases.update({ ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60 } } as Lease);
      await expect.poll(() => a.log, { timeout: 10_000 }).toEqual(['started', 'leadership signal aborted', 'stopped']);
      expect(a.elector.isLeader()).toBe(false);
      expect(a.elector.leader).toBe('intruder');
    } finally {
      a.stop.abort();
      await a.running;
    }
  });
});
