// `kubectl get pods`: the STATUS column is computed, not stored. It follows kube's
// printPod: the phase, overridden by the pod's reason, by the first unfinished init
// container (`Init:1/3`, `Init:CrashLoopBackOff`), then by any container's waiting or
// terminated reason, and finally by `Terminating` once deletion started.

import { age } from './human-duration.js';
import { get, list, num, str, type Obj } from './fields.js';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter, type TableCell, type TableRowCondition } from './table.js';

/** The pod status text and counters behind the READY, STATUS and RESTARTS columns. */
export interface PodSummary {
  ready: number;
  total: number;
  status: string;
  restarts: number;
  /** Most recent container termination among restarted ones (RFC 3339), if known. */
  lastRestart?: string;
}

const isRestartableInit = (c: Obj | undefined): boolean => str(c, 'restartPolicy') === 'Always';

/** Computes what `kubectl get pods` shows for READY, STATUS and RESTARTS. */
export function summarizePod(pod: Obj): PodSummary {
  const initSpecs = list(pod, 'spec.initContainers');
  const initByName = new Map(initSpecs.map((c) => [str(c, 'name'), c]));
  let total = list(pod, 'spec.containers').length + initSpecs.filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = '';
  let lastSidecarRestart = '';
  const later = (a: string, b: string): string => (b !== '' && (a === '' || Date.parse(b) > Date.parse(a)) ? b : a);

  let status = str(pod, 'status.phase');
  if (str(pod, 'status.reason') !== '') status = str(pod, 'status.reason');
  for (const c of list(pod, 'status.conditions')) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') status = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = list(pod, 'status.initContainerStatuses');
  for (const [i, cs] of initStatuses.entries()) {
    restarts += num(cs, 'restartCount');
    const finished = str(cs, 'lastState.terminated.finishedAt');
    lastRestart = later(lastRestart, finished);
    const spec = initByName.get(str(cs, 'name'));
    if (isRestartableInit(spec)) {
      sidecarRestarts += num(cs, 'restartCount');
      lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const terminated = get(cs, 'state.terminated') as Obj | undefined;
    const waitingReason = str(cs, 'state.waiting.reason');
    if (terminated && num(terminated, 'exitCode') === 0) continue;
    if (isRestartableInit(spec) && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      const reason = str(terminated, 'reason');
      if (reason !== '') status = `Init:${reason}`;
      else if (num(terminated, 'signal') !== 0) status = `Init:Signal:${num(terminated, 'signal')}`;
      else status = `Init:ExitCode:${num(terminated, 'exitCode')}`;
    } else if (waitingReason !== '' && waitingReason !== 'PodInitializing') {
      status = `Init:${waitingReason}`;
    } else {
      status = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = list(pod, 'status.conditions').some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = list(pod, 'status.containerStatuses');
    // Last to first, so the first container's reason wins, as in kubectl.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += num(cs, 'restartCount');
      lastRestart = later(lastRestart, str(cs, 'lastState.terminated.finishedAt'));
      const waiting = str(cs, 'state.waiting.reason');
      const terminated = get(cs, 'state.terminated') as Obj | undefined;
      if (waiting !== '') status = waiting;
      else if (terminated && str(terminated, 'reason') !== '') status = str(terminated, 'reason');
      else if (terminated) {
        status = num(terminated, 'signal') !== 0 ? `Signal:${num(terminated, 'signal')}` : `ExitCode:${num(terminated, 'exitCode')}`;
      } else if (cs.ready === true && get(cs, 'state.running') !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (status === 'Completed' && hasRunning) {
      const podReady = list(pod, 'status.conditions').some((c) => c.type === 'Ready' && c.status === 'True');
      status = podReady ? 'Running' : 'NotReady';
    }
  }

  const deleting = get(pod, 'metadata.deletionTimestamp') !== undefined && get(pod, 'metadata.deletionTimestamp') !== null;
  const phase = str(pod, 'status.phase');
  if (deleting && str(pod, 'status.reason') === 'NodeLost') status = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') status = 'Terminating';

  total = Math.max(total, 0);
  return { ready, total, status, restarts, ...(lastRestart !== '' ? { lastRestart } : {}) };
}

const COMPLETED: Record<string, TableRowCondition[]> = {
  Succeeded: [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }],
  Failed: [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }],
};

export const podPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'Ready containers out of all containers of the pod.'),
    column('Status', 'Aggregate status of the pod and its containers.'),
    column('Restarts', 'Container restarts, with the time since the last one.'),
    AGE_COLUMN,
    column('IP', 'The pod IP address (first of status.podIPs).', { priority: 1 }),
    column('Node', 'The node the pod is bound to.', { priority: 1 }),
    column('Nominated Node', 'The node the scheduler nominated after preemption.', { priority: 1 }),
    column('Readiness Gates', 'Readiness gates whose condition is True, out of all gates.', { priority: 1 }),
  ],
  cells(pod: Obj, now: Date): TableCell[] {
    const s = summarizePod(pod);
    const restarts = s.restarts !== 0 && s.lastRestart ? `${s.restarts} (${age(s.lastRestart, now)} ago)` : String(s.restarts);
    const ip = str(list(pod, 'status.podIPs')[0], 'ip') || str(pod, 'status.podIP') || '<none>';
    const gates = list(pod, 'spec.readinessGates');
    let readinessGates = '<none>';
    if (gates.length > 0) {
      const conditions = list(pod, 'status.conditions');
      const passing = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
      readinessGates = `${passing}/${gates.length}`;
    }
    return [
      str(pod, 'metadata.name'),
      `${s.ready}/${s.total}`,
      s.status,
      restarts,
      age(get(pod, 'metadata.creationTimestamp'), now),
      ip,
      str(pod, 'spec.nodeName') || '<none>',
      str(pod, 'status.nominatedNodeName') || '<none>',
      readinessGates,
    ];
  },
  conditions: (pod: Obj) => COMPLETED[str(pod, 'status.phase')],
};
