// How each list (and a few maps) of the built-in kinds is merged, in one table.
//
// Kubernetes keeps this in Go struct tags: `patchStrategy`/`patchMergeKey` drive strategic
// merge patch, `+listType`/`+listMapKey` drive server-side apply. Skiff has no Go types, so
// the same facts live here, keyed by kind and by a field path:
//
//   spec.template.spec.containers[].ports
//   └─ field names joined by ".", "[]" after a list field means "each element of it"
//
// A list that is not in the table is atomic: SMP replaces it whole and SSA owns it as one
// field, which is what Kubernetes does for untagged lists (args, command, tolerations, ...).
// Values checked against k8s.io/api and apimachinery struct tags (v0.32).

import type { JsonObject } from './json.js';

/** Patch metadata of one field; absent fields are plain maps/scalars/atomic lists. */
export interface FieldMeta {
  /** SMP strategy: `merge` merges list elements by key (or as a set for scalars);
   * `retainKeys` lets a patch clear the sibling keys it does not list (union types). */
  patchStrategy?: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
  /** SMP: the element field that identifies a list element. */
  patchMergeKey?: string;
  /** SSA: `map` lists are keyed by listMapKeys, `set` lists hold unique scalars. */
  listType?: 'atomic' | 'set' | 'map';
  /** SSA: the element fields that together identify a list element. */
  listMapKeys?: string[];
  /** SSA: defaults filled into list elements before keying them (P10: `protocol: TCP`). */
  itemDefaults?: JsonObject;
}

type Fragment = Record<string, FieldMeta>;

const byName = (strategy: FieldMeta['patchStrategy'] = 'merge'): FieldMeta => ({
  patchStrategy: strategy,
  patchMergeKey: 'name',
  listType: 'map',
  listMapKeys: ['name'],
});

const conditions: FieldMeta = {
  patchStrategy: 'merge',
  patchMergeKey: 'type',
  listType: 'map',
  listMapKeys: ['type'],
};

/** ObjectMeta: owner references by uid, finalizers as a set. */
const objectMeta: Fragment = {
  ownerReferences: { patchStrategy: 'merge', patchMergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
  finalizers: { patchStrategy: 'merge', listType: 'set' },
};

/** Container and EphemeralContainer. */
const container: Fragment = {
  ports: {
    patchStrategy: 'merge',
    patchMergeKey: 'containerPort',
    listType: 'map',
    listMapKeys: ['containerPort', 'protocol'],
    itemDefaults: { protocol: 'TCP' },
  },
  env: byName(),
  volumeMounts: { patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
  volumeDevices: { patchStrategy: 'merge', patchMergeKey: 'devicePath', listType: 'map', listMapKeys: ['devicePath'] },
  'resources.claims': { listType: 'map', listMapKeys: ['name'] },
};

const podSpec: Fragment = {
  volumes: byName('merge,retainKeys'),
  ...under('containers[]', container),
  containers: byName(),
  ...under('initContainers[]', container),
  initContainers: byName(),
  ...under('ephemeralContainers[]', container),
  ephemeralContainers: byName(),
  imagePullSecrets: byName(),
  hostAliases: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
  topologySpreadConstraints: {
    patchStrategy: 'merge',
    patchMergeKey: 'topologyKey',
    listType: 'map',
    listMapKeys: ['topologyKey', 'whenUnsatisfiable'],
  },
  schedulingGates: byName(),
  resourceClaims: byName('merge,retainKeys'),
};

const podStatus: Fragment = {
  conditions,
  podIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
  // hostIPs merges by ip under SMP but is atomic for SSA.
  hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
};

const podTemplate: Fragment = { ...under('metadata', objectMeta), ...under('spec', podSpec) };

function under(prefix: string, fragment: Fragment): Fragment {
  const out: Fragment = {};
  for (const [path, meta] of Object.entries(fragment)) out[`${prefix}.${path}`] = meta;
  return out;
}

function kind(...fragments: Fragment[]): Fragment {
  return Object.assign({ ...under('metadata', objectMeta) }, ...fragments);
}

/** The table: kind → field path → patch metadata. Read by SMP and SSA alike. */
export const PATCH_SCHEMA: Readonly<Record<string, Readonly<Fragment>>> = {
  Pod: kind(under('spec', podSpec), under('status', podStatus)),
  PodTemplate: kind(under('template', podTemplate)),
  Deployment: kind(
    under('spec.template', podTemplate),
    { 'spec.strategy': { patchStrategy: 'retainKeys' } },
    { 'status.conditions': conditions },
  ),
  ReplicaSet: kind(under('spec.template', podTemplate), { 'status.conditions': conditions }),
  StatefulSet: kind(under('spec.template', podTemplate), { 'status.conditions': conditions }),
  DaemonSet: kind(under('spec.template', podTemplate), { 'status.conditions': conditions }),
  Job: kind(under('spec.template', podTemplate), { 'status.conditions': conditions }),
  Service: kind({
    'spec.ports': {
      patchStrategy: 'merge',
      patchMergeKey: 'port',
      listType: 'map',
      listMapKeys: ['port', 'protocol'],
      itemDefaults: { protocol: 'TCP' },
    },
    'status.conditions': conditions,
  }),
  Node: kind({
    'spec.podCIDRs': { patchStrategy: 'merge', listType: 'set' },
    'status.conditions': conditions,
    'status.addresses': { patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  }),
  // spec.finalizers of a Namespace is atomic: only `metadata.finalizers` merges as a set.
  Namespace: kind({ 'status.conditions': conditions }),
  Event: kind(),
  ConfigMap: kind(),
  Secret: kind(),
  Lease: kind(),
  Endpoints: kind(),
  ServiceAccount: kind({ secrets: byName() }),
};

/** True when Skiff knows the kind's patch metadata (strategic merge patch needs it). */
export function hasPatchSchema(kindName: string): boolean {
  return Object.hasOwn(PATCH_SCHEMA, kindName);
}

/** Patch metadata of the field at `path` (see the file comment for the syntax); for
 * unknown kinds only ObjectMeta's rules apply, as for custom resources. */
export function fieldMeta(kindName: string, path: string): FieldMeta | undefined {
  const table = PATCH_SCHEMA[kindName] ?? GENERIC;
  return Object.hasOwn(table, path) ? table[path] : undefined;
}

const GENERIC: Fragment = kind();

/** The path of a field inside the object at `parent`. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** The path of the elements of the list at `parent`. */
export function itemPath(parent: string): string {
  return `${parent}[]`;
}
