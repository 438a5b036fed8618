// Small readers over loosely typed objects: printers accept whatever the store holds and
// never throw on a missing field, as kubectl's printers print defaults instead.

export type Obj = Record<string, unknown>;

const SPLIT = new Map<string, string[]>(); // printers use a few dozen constant paths

/** The value at a dotted path, or undefined. */
export function get(obj: unknown, path: string): unknown {
  let keys = SPLIT.get(path);
  if (!keys) SPLIT.set(path, (keys = path.split('.')));
  let cur: unknown = obj;
  for (const key of keys) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[key];
  }
  return cur;
}

export function str(obj: unknown, path: string): string {
  const v = get(obj, path);
  return typeof v === 'string' ? v : '';
}

export function num(obj: unknown, path: string, fallback = 0): number {
  const v = get(obj, path);
  return typeof v === 'number' ? v : fallback;
}

export function list(obj: unknown, path: string): Obj[] {
  const v = get(obj, path);
  return Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Obj[]) : [];
}

export function map(obj: unknown, path: string): Record<string, unknown> {
  const v = get(obj, path);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

/** `k1=v1,k2=v2` sorted by key, `<none>` when empty (labels.FormatLabels). */
export function formatLabels(labels: Record<string, unknown>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${String(labels[k])}`).join(',');
}

/** A LabelSelector as kubectl shows it: `app=x,tier in (a,b),!legacy`, sorted by key. */
export function formatSelector(selector: unknown): string {
  if (typeof selector !== 'object' || selector === null) return '<none>';
  const parts: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(map(selector, 'matchLabels'))) parts.push([k, `${k}=${String(v)}`]);
  for (const expr of list(selector, 'matchExpressions')) {
    const key = str(expr, 'key');
    const values = (Array.isArray(expr.values) ? expr.values.map(String) : []).sort();
    switch (str(expr, 'operator')) {
      case 'In':
        parts.push([key, `${key} in (${values.join(',')})`]);
        break;
      case 'NotIn':
        parts.push([key, `${key} notin (${values.join(',')})`]);
        break;
      case 'Exists':
        parts.push([key, key]);
        break;
      case 'DoesNotExist':
        parts.push([key, `!${key}`]);
        break;
    }
  }
  parts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return parts.map((p) => p[1]).join(',');
}

/** Container names and images of a pod template, comma-joined (the wide columns). */
export function containerColumns(podSpec: unknown): [string, string] {
  const containers = list(podSpec, 'containers');
  return [containers.map((c) => str(c, 'name')).join(','), containers.map((c) => str(c, 'image')).join(',')];
}
