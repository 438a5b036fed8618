// The bridge to apiserver/printers: the Table columns for a kind. Until a printer exists for
// a kind, kube's default columns (Name, Age) are served, as kube-apiserver does for kinds
// without a printer.
import type { KubeObject, ResourceInfo } from './resources.js';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface Printer {
  columns: TableColumn[];
  cells(obj: KubeObject, now: Date): unknown[];
}

/** Kube's HumanDuration: 45s, 5m10s, 3h4m, 2d3h, 400d, ... as the AGE column shows. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60 * 2) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 60 * 3) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  if (h < 24 * 365 * 8) { const d = Math.floor(h / 24); return d % 365 === 0 ? `${Math.floor(d / 365)}y` : `${Math.floor(d / 365)}y${d % 365}d`; }
  return `${Math.floor(h / 24 / 365)}y`;
}

export function age(obj: KubeObject, now: Date): string {
  const created = obj.metadata?.creationTimestamp;
  return created ? humanDuration(now.getTime() - new Date(created).getTime()) : '<unknown>';
}

const defaultPrinter: Printer = {
  columns: [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    { name: 'Created At', type: 'date', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
  ],
  cells: (o) => [o.metadata?.name ?? '', o.metadata?.creationTimestamp ?? ''],
};

/** The printer for a kind. */
export function printerFor(_info: ResourceInfo): Printer {
  return defaultPrinter;
}
