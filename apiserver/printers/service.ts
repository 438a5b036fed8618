// `kubectl get services`: EXTERNAL-IP depends on the type (`<pending>` for a LoadBalancer
// without an address yet), PORT(S) shows `port[:nodePort]/protocol`.

import { age } from './human-duration.js';
import { formatLabels, get, list, map, num, str, type Obj } from './fields.js';
import { AGE_COLUMN, NAME_COLUMN, column, type KindPrinter } from './table.js';

/** `80/TCP,443:30443/TCP`, `<none>` without ports. */
export function formatServicePorts(svc: Obj): string {
  const ports = list(svc, 'spec.ports').map((p) => {
    const protocol = str(p, 'protocol') || 'TCP';
    const nodePort = num(p, 'nodePort');
    return nodePort !== 0 ? `${num(p, 'port')}:${nodePort}/${protocol}` : `${num(p, 'port')}/${protocol}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function externalIP(svc: Obj): string {
  const external = (get(svc, 'spec.externalIPs') as unknown[] | undefined)?.map(String) ?? [];
  switch (str(svc, 'spec.type') || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = list(svc, 'status.loadBalancer.ingress').map((i) => str(i, 'ip') || str(i, 'hostname')).filter((s) => s !== '');
      const all = [...external, ...lb];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(svc, 'spec.externalName');
    default:
      return '<unknown>';
  }
}

export const servicePrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Type', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'The virtual IP of the service inside the cluster.'),
    column('External-IP', 'Addresses the service is reachable at from outside the cluster.'),
    column('Port(s)', 'Service ports, with the node port where there is one.'),
    AGE_COLUMN,
    column('Selector', 'Labels of the pods that back the service.', { priority: 1 }),
  ],
  cells: (svc: Obj, now: Date) => {
    const clusterIPs = get(svc, 'spec.clusterIPs');
    const clusterIP = (Array.isArray(clusterIPs) && typeof clusterIPs[0] === 'string' ? clusterIPs[0] : str(svc, 'spec.clusterIP')) || '<none>';
    return [
      str(svc, 'metadata.name'),
      str(svc, 'spec.type') || 'ClusterIP',
      clusterIP,
      externalIP(svc),
      formatServicePorts(svc),
      age(get(svc, 'metadata.creationTimestamp'), now),
      formatLabels(map(svc, 'spec.selector')),
    ];
  },
};
