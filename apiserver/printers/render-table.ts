// Prints a Table as plain text the way kubectl does: upper-case headers, columns padded to
// their widest cell plus three spaces (Go's tabwriter with minwidth 6, padding 3), the last
// column unpadded, priority > 0 columns only when wide.

import type { Table, TableCell } from './table.js';

export interface RenderOptions {
  /** `-o wide`: include priority 1 columns. */
  wide?: boolean;
  /** `-A`: a NAMESPACE column first, read from each row's object metadata. */
  showNamespace?: boolean;
  /** `--show-labels`: a LABELS column last, from each row's object metadata. */
  showLabels?: boolean;
  /** `--no-headers`. */
  noHeaders?: boolean;
}

const PADDING = 3;
const MIN_WIDTH = 6;

/** The text kubectl would print for this table, ending in a newline (empty for no rows). */
export function renderTable(table: Table, options: RenderOptions = {}): string {
  const defs = table.columnDefinitions ?? [];
  const shown = defs.map((d, i) => ({ d, i })).filter(({ d }) => options.wide || d.priority === 0);
  const lines: string[][] = [];
  if (!options.noHeaders) {
    const header = shown.map(({ d }) => d.name.toUpperCase());
    if (options.showNamespace) header.unshift('NAMESPACE');
    if (options.showLabels) header.push('LABELS');
    lines.push(header);
  }
  for (const row of table.rows) {
    const meta = (row.object?.metadata ?? {}) as { namespace?: string; labels?: Record<string, string> };
    const cells = shown.map(({ i }) => formatCell(row.cells[i]));
    if (options.showNamespace) cells.unshift(meta.namespace ?? '');
    if (options.showLabels) cells.push(formatLabelCell(meta.labels));
    lines.push(cells);
  }
  if (table.rows.length === 0) return '';

  const columns = Math.max(0, ...lines.map((l) => l.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) {
    const widest = Math.max(...lines.map((l) => [...(l[c] ?? '')].length));
    widths.push(Math.max(widest + PADDING, MIN_WIDTH));
  }
  return lines
    .map((l) => l.map((cell, c) => (c < columns - 1 ? cell + ' '.repeat(widths[c]! - [...cell].length) : cell)).join(''))
    .join('\n')
    .concat('\n');
}

/** A cell as kubectl prints it: strings cut at the first line break (marked `...`). */
export function formatCell(cell: TableCell | undefined): string {
  if (cell === undefined) return '';
  if (typeof cell === 'string') {
    const cut = cell.search(/[\f\n\r]/);
    return cut >= 0 ? `${cell.slice(0, cut)}...` : cell;
  }
  return cell === null ? '<nil>' : String(cell);
}

function formatLabelCell(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels![k]}`).join(',');
}
