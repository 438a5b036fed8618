// Builds the Table the API server returns for `kubectl get`. Every row carries its object
// (PartialObjectMetadata by default) because kubectl reads the NAMESPACE column of `-A`
// and the labels of `--show-labels`/`-L` from it (P8).

import { endpointsPrinter } from './endpoints.js';
import { eventPrinter } from './event.js';
import { nodePrinter } from './node.js';
import { podPrinter } from './pod.js';
import { servicePrinter } from './service.js';
import { configMapPrinter, defaultPrinter, leasePrinter, namespacePrinter, secretPrinter } from './simple.js';
import type { KindPrinter, Table, TableRow } from './table.js';
import { deploymentPrinter, replicaSetPrinter } from './workloads.js';

/** Printers by kind; kinds not listed get the default NAME / CREATED AT table. */
export const PRINTERS: Readonly<Record<string, KindPrinter>> = {
  Pod: podPrinter,
  Deployment: deploymentPrinter,
  ReplicaSet: replicaSetPrinter,
  Service: servicePrinter,
  ConfigMap: configMapPrinter,
  Secret: secretPrinter,
  Namespace: namespacePrinter,
  Node: nodePrinter,
  Event: eventPrinter,
  Lease: leasePrinter,
  Endpoints: endpointsPrinter,
};

/** The printer for a kind (the default one when Skiff has none). */
export function printerFor(kind: string): KindPrinter {
  return Object.hasOwn(PRINTERS, kind) ? PRINTERS[kind]! : defaultPrinter;
}

/** What each row's `object` holds: `includeObject` query parameter of the request. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ToTableOptions {
  /** Defaults to Metadata, as kube-apiserver does. */
  includeObject?: IncludeObject;
  /** The clock the AGE columns are computed against. */
  now?: Date;
  /** Omit column definitions (watch events after the first). */
  noHeaders?: boolean;
  /** List metadata to carry over: resourceVersion, continue, remainingItemCount. */
  listMeta?: Table['metadata'];
}

/** Renders objects of one kind as a meta.k8s.io/v1 Table. Pure: reads only its arguments. */
export function toTable(kind: string, objects: readonly Record<string, unknown>[], options: ToTableOptions = {}): Table {
  const printer = printerFor(kind);
  const now = options.now ?? new Date();
  const include = options.includeObject ?? 'Metadata';
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    if (include === 'Object') row.object = obj;
    else if (include === 'Metadata') row.object = partialObjectMetadata(obj);
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { ...options.listMeta },
    columnDefinitions: options.noHeaders ? null : printer.columns,
    rows,
  };
}

/** The object's metadata wrapped as meta.k8s.io/v1 PartialObjectMetadata, managedFields left out. */
export function partialObjectMetadata(obj: Record<string, unknown>): Record<string, unknown> {
  const metadata = { ...((obj.metadata as Record<string, unknown> | undefined) ?? {}) };
  delete metadata.managedFields;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}
