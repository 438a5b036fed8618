// `kubectl get nodes`: STATUS is Ready/NotReady/Unknown from the Ready condition, plus
// SchedulingDisabled when cordoned; ROLES come from node-role.kubernetes.io/<role> labels.

import { age } from './human-duration.js';
import { get, list, map, str, type Obj } from './fields.js';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter } from './table.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** Sorted role names, from `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role`. */
export function nodeRoles(node: Obj): string[] {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(map(node, 'metadata.labels'))) {
    if (key.startsWith(ROLE_PREFIX) && key.length > ROLE_PREFIX.length) roles.add(key.slice(ROLE_PREFIX.length));
    else if (key === ROLE_LABEL && typeof value === 'string' && value !== '') roles.add(value);
  }
  return [...roles].sort();
}

/** `Ready`, `NotReady`, `Unknown`, with `,SchedulingDisabled` for a cordoned node. */
export function nodeStatus(node: Obj): string {
  const status: string[] = [];
  const ready = list(node, 'status.conditions').find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (get(node, 'spec.unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

const address = (node: Obj, type: string): string =>
  str(list(node, 'status.addresses').find((a) => a.type === type), 'address') || '<none>';

export const nodePrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'Whether the node is ready and schedulable.'),
    column('Roles', 'Roles from node-role.kubernetes.io labels.'),
    AGE_COLUMN,
    column('Version', 'Version of the node agent (status.nodeInfo.kubeletVersion).'),
    column('Internal-IP', 'The node address of type InternalIP.', { priority: 1 }),
    column('External-IP', 'The node address of type ExternalIP.', { priority: 1 }),
    column('OS-Image', 'Operating system of the node.', { priority: 1 }),
    column('Kernel-Version', 'Kernel version of the node.', { priority: 1 }),
    column('Container-Runtime', 'Container runtime name and version.', { priority: 1 }),
  ],
  cells: (node: Obj, now: Date) => {
    const roles = nodeRoles(node);
    return [
      str(node, 'metadata.name'),
      nodeStatus(node),
      roles.length > 0 ? roles.join(',') : '<none>',
      age(get(node, 'metadata.creationTimestamp'), now),
      str(node, 'status.nodeInfo.kubeletVersion'),
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      str(node, 'status.nodeInfo.osImage') || '<unknown>',
      str(node, 'status.nodeInfo.kernelVersion') || '<unknown>',
      str(node, 'status.nodeInfo.containerRuntimeVersion') || '<unknown>',
    ];
  },
};
