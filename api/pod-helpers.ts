// Facts about pods that several components need to agree on: what a pod requests (the
// scheduler fits it, the node agent sizes its cgroup), its QoS class (status.qosClass, OOM
// score), and whether it is ready or available (ReplicaSet and Deployment status).

import { parseQuantity } from './quantity.js';
import type { Container, Pod, PodCondition } from './types.js';

/** Resource name -> amount in base units (cores, bytes, count). */
export type ResourceAmounts = Record<string, number>;

function add(into: ResourceAmounts, from: ResourceAmounts): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function maxInto(into: ResourceAmounts, from: ResourceAmounts): void {
  for (const [k, v] of Object.entries(from)) into[k] = Math.max(into[k] ?? 0, v);
}

// A container's requests as Kubernetes reads them: an explicit request, else its limit.
function containerRequests(c: Container): ResourceAmounts {
  const out: ResourceAmounts = {};
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  for (const name of new Set([...Object.keys(limits), ...Object.keys(requests)])) {
    const v = parseQuantity(requests[name] ?? limits[name]!);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * What the pod needs on a node (Kubernetes' PodRequests): app containers and sidecars
 * (init containers with restartPolicy Always) run together and add up; each plain init
 * container runs alone next to the sidecars started before it, so the pod needs the larger
 * of the two phases; pod overhead comes on top.
 */
export function podRequests(pod: Pod): ResourceAmounts {
  const total: ResourceAmounts = {};
  for (const c of pod.spec?.containers ?? []) add(total, containerRequests(c));
  const sidecars: ResourceAmounts = {};
  const initPhase: ResourceAmounts = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const req = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      add(total, req);
      add(sidecars, req);
      maxInto(initPhase, sidecars);
    } else {
      const phase = { ...req };
      add(phase, sidecars);
      maxInto(initPhase, phase);
    }
  }
  maxInto(total, initPhase);
  for (const [name, q] of Object.entries(pod.spec?.overhead ?? {})) {
    const v = parseQuantity(q);
    if (v !== undefined) total[name] = (total[name] ?? 0) + v;
  }
  return total;
}

/** The pod's QoS class, as Kubernetes computes status.qosClass. */
export function podQOSClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const tracked = ['cpu', 'memory'];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    for (const name of tracked) {
      const l = limits[name] !== undefined ? parseQuantity(limits[name]) : undefined;
      const r = requests[name] !== undefined ? parseQuantity(requests[name]) : l; // request defaults to limit
      if ((l !== undefined && l !== 0) || (r !== undefined && r !== 0)) anySet = true;
      if (l === undefined || r === undefined || l !== r) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The condition of `type` in a conditions list, if present. */
export function getCondition<C extends { type: string }>(conditions: C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return getCondition<PodCondition>(pod.status?.conditions, 'Ready')?.status === 'True';
}

/**
 * True when the pod has been ready for at least `minReadySeconds` at `now` (what
 * ReplicaSet and Deployment status count as available).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date = new Date()): boolean {
  const ready = getCondition<PodCondition>(pod.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now.getTime();
}

/** True once the pod reached a phase it never leaves (Succeeded or Failed). */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
