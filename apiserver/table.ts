// The Table format (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`) kubectl asks
// for in `get`: columns come from apiserver/printers, each row carries the object (or its
// metadata only, by `includeObject`) so -A, --show-labels and -L work (P8).
import type { KubeObject, ResourceInfo } from './resources.js';
import { printerFor } from './printing.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** True when the client accepts a Table (any Table entry in Accept). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const params = part.split(';').slice(1).map((p) => p.trim().replace(/\s+/g, ''));
    return params.includes('as=Table') && params.includes('g=meta.k8s.io') && (params.includes('v=v1') || params.includes('v=v1beta1'));
  });
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  const { managedFields: _mf, ...metadata } = obj.metadata ?? {};
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

/** A Table of `objects`; `withHeaders` false omits columnDefinitions (watch events after the first). */
export function toTable(info: ResourceInfo, objects: KubeObject[], listMeta: { resourceVersion?: string; continue?: string }, include: IncludeObject, withHeaders = true) {
  const printer = printerFor(info);
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withHeaders ? printer.columns : [],
    rows: objects.map((o) => {
      const object = rowObject(o, include);
      return { cells: printer.cells(o, now), ...(object ? { object } : {}) };
    }),
  };
}
