// Deployments and ReplicaSets: replica counts from status, the pod template's containers,
// images and selector in the wide columns.

import { age } from './human-duration.js';
import { containerColumns, get, num, str, formatSelector, type Obj } from './fields.js';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter, type TableCell } from './table.js';

const wideTemplateColumns = [
  column('Containers', 'Names of the containers in the pod template.', { priority: 1 }),
  column('Images', 'Images of the containers in the pod template.', { priority: 1 }),
  column('Selector', 'Label selector of the pods this object manages.', { priority: 1 }),
];

function templateCells(obj: Obj): TableCell[] {
  const [names, images] = containerColumns(get(obj, 'spec.template.spec'));
  return [names, images, formatSelector(get(obj, 'spec.selector'))];
}

/** Replicas default to 1 when unset, as the API defaults them. */
const desired = (obj: Obj): number => num(obj, 'spec.replicas', 1);

export const deploymentPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'Ready replicas out of desired replicas.'),
    column('Up-to-date', 'Replicas running the current pod template.', { type: 'integer' }),
    column('Available', 'Replicas available to users (ready for minReadySeconds).', { type: 'integer' }),
    AGE_COLUMN,
    ...wideTemplateColumns,
  ],
  cells: (d: Obj, now: Date) => [
    str(d, 'metadata.name'),
    `${num(d, 'status.readyReplicas')}/${desired(d)}`,
    num(d, 'status.updatedReplicas'),
    num(d, 'status.availableReplicas'),
    age(get(d, 'metadata.creationTimestamp'), now),
    ...templateCells(d),
  ],
};

export const replicaSetPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'Replicas the ReplicaSet wants.', { type: 'integer' }),
    column('Current', 'Replicas that exist.', { type: 'integer' }),
    column('Ready', 'Replicas that are ready.', { type: 'integer' }),
    AGE_COLUMN,
    ...wideTemplateColumns,
  ],
  cells: (rs: Obj, now: Date) => [
    str(rs, 'metadata.name'),
    desired(rs),
    num(rs, 'status.replicas'),
    num(rs, 'status.readyReplicas'),
    age(get(rs, 'metadata.creationTimestamp'), now),
    ...templateCells(rs),
  ],
};
