// Kinds whose columns are read straight off the object: ConfigMap, Secret, Namespace, Lease,
// and the default printer kube uses for kinds without one (NAME, CREATED AT).

import { age } from './human-duration.js';
import { get, map, str, type Obj } from './fields.js';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter } from './table.js';

const count = (o: Record<string, unknown>): number => Object.keys(o).length;

export const configMapPrinter: KindPrinter = {
  columns: [NAME_COLUMN, column('Data', 'Number of keys in data and binaryData.', { type: 'integer' }), AGE_COLUMN],
  cells: (cm: Obj, now: Date) => [
    str(cm, 'metadata.name'),
    count(map(cm, 'data')) + count(map(cm, 'binaryData')),
    age(get(cm, 'metadata.creationTimestamp'), now),
  ],
};

export const secretPrinter: KindPrinter = {
  columns: [NAME_COLUMN, column('Type', 'The secret type.'), column('Data', 'Number of keys in data.', { type: 'integer' }), AGE_COLUMN],
  cells: (s: Obj, now: Date) => [
    str(s, 'metadata.name'),
    str(s, 'type') || 'Opaque',
    // stringData is write-only and folded into data on write; count both for objects read
    // before that normalisation.
    count({ ...map(s, 'data'), ...map(s, 'stringData') }),
    age(get(s, 'metadata.creationTimestamp'), now),
  ],
};

export const namespacePrinter: KindPrinter = {
  columns: [NAME_COLUMN, column('Status', 'The namespace phase: Active or Terminating.'), AGE_COLUMN],
  cells: (ns: Obj, now: Date) => [str(ns, 'metadata.name'), str(ns, 'status.phase') || 'Active', age(get(ns, 'metadata.creationTimestamp'), now)],
};

export const leasePrinter: KindPrinter = {
  columns: [NAME_COLUMN, column('Holder', 'Identity of the current holder of the lease.'), AGE_COLUMN],
  cells: (l: Obj, now: Date) => [str(l, 'metadata.name'), str(l, 'spec.holderIdentity'), age(get(l, 'metadata.creationTimestamp'), now)],
};

/** kube-apiserver's default table for kinds without a printer. */
export const defaultPrinter: KindPrinter = {
  columns: [NAME_COLUMN, column('Created At', 'When the object was created.', { type: 'date' })],
  cells: (o: Obj) => [str(o, 'metadata.name'), str(o, 'metadata.creationTimestamp')],
};
