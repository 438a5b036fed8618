// Public surface of the printers: the API server's Table responses and `skiff get` share
// these columns, so both show exactly what kubectl users expect.

export { toTable, printerFor, partialObjectMetadata, PRINTERS, type IncludeObject, type ToTableOptions } from './to-table.js';
export { renderTable, formatCell, type RenderOptions } from './render-table.js';
export { humanDuration, age } from './human-duration.js';
export { summarizePod, type PodSummary } from './pod.js';
export { nodeRoles, nodeStatus } from './node.js';
export { formatServicePorts } from './service.js';
export { formatEndpoints } from './endpoints.js';
export { formatLabels, formatSelector } from './fields.js';
export type { Table, TableRow, TableCell, TableColumnDefinition, TableRowCondition, KindPrinter } from './table.js';
