// The meta.k8s.io/v1 Table shape kubectl asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (facts §b.5).

/** One column; priority 0 columns always show, priority 1 only with `-o wide`. */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** A cell: kubectl prints strings as they are and numbers with %d. */
export type TableCell = string | number | boolean | null;

/** A row condition; kube marks finished pods `Completed` this way. */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata by default, the whole object with includeObject=Object. */
  object?: Record<string, unknown>;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null when headers were not asked for (watch events after the first, P8). */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

/** The columns and cells of one kind, shared by the API server and `skiff get`. */
export interface KindPrinter {
  columns: TableColumnDefinition[];
  /** All cells, wide ones included; the client hides priority > 0 columns. */
  cells(obj: Record<string, unknown>, now: Date): TableCell[];
  conditions?(obj: Record<string, unknown>): TableRowCondition[] | undefined;
}

/** Shorthand for a column definition. */
export function column(name: string, description: string, options: Partial<Omit<TableColumnDefinition, 'name' | 'description'>> = {}): TableColumnDefinition {
  return { name, type: options.type ?? 'string', format: options.format ?? '', description, priority: options.priority ?? 0 };
}

export const NAME_COLUMN = column('Name', 'Name of the object, unique within its namespace.', { format: 'name' });
export const AGE_COLUMN = column('Age', 'Time since the object was created (metadata.creationTimestamp).');
