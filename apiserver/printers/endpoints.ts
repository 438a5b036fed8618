// `kubectl get endpoints`: the first three ip:port pairs, then "+ N more...".

import { age } from './human-duration.js';
import { get, list, num, str, type Obj } from './fields.js';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter } from './table.js';

const SHOWN = 3;

/** `10.42.0.5:80,10.42.0.6:80 + 2 more...`, `<none>` without subsets. */
export function formatEndpoints(endpoints: Obj): string {
  const subsets = list(endpoints, 'subsets');
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let total = 0;
  const add = (entry: string): void => {
    total++;
    if (shown.length < SHOWN) shown.push(entry);
  };
  for (const subset of subsets) {
    const ips = list(subset, 'addresses').map((a) => str(a, 'ip'));
    const ports = list(subset, 'ports');
    // Headless services may have no ports: list bare addresses.
    if (ports.length === 0) ips.forEach(add);
    for (const port of ports) for (const ip of ips) add(ip.includes(':') ? `[${ip}]:${num(port, 'port')}` : `${ip}:${num(port, 'port')}`);
  }
  const text = shown.join(',');
  return total > SHOWN ? `${text} + ${total - SHOWN} more...` : text;
}

export const endpointsPrinter: KindPrinter = {
  columns: [NAME_COLUMN, column('Endpoints', 'Ready addresses and ports behind the service.'), AGE_COLUMN],
  cells: (ep: Obj, now: Date) => [str(ep, 'metadata.name'), formatEndpoints(ep), age(get(ep, 'metadata.creationTimestamp'), now)],
};
