// The Table format (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`) kubectl asks
// for in `get`: columns and cells come from apiserver/printers; each row carries the object
// (or only its metadata, by `includeObject`) so -A, --show-labels and -L work (P8).
import { toTable as renderTable, type IncludeObject } from './printers/index.js';
import type { KubeObject, ResourceInfo } from './resources.js';

export type { IncludeObject };

/** True when the client accepts a Table (any Table entry in Accept). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const params = part.split(';').slice(1).map((p) => p.trim().replace(/\s+/g, ''));
    return params.includes('as=Table') && params.includes('g=meta.k8s.io') && (params.includes('v=v1') || params.includes('v=v1beta1'));
  });
}

/** A Table of `objects`; `withHeaders` false omits columnDefinitions (watch events after the first). */
export function toTable(info: ResourceInfo, objects: KubeObject[], listMeta: { resourceVersion?: string; continue?: string }, include: IncludeObject, withHeaders = true) {
  return renderTable(info.kind, objects as Record<string, unknown>[], { includeObject: include, listMeta, noHeaders: !withHeaders });
}
