// The resource table: every kind Skiff serves, described once. Discovery documents, the
// OpenAPI document, REST paths, the CLI's name resolution and the client are all derived
// from it, so adding a kind here is how Skiff learns about it. Names, short names,
// categories, verbs and subresources are the ones Kubernetes 1.32 reports in discovery.

/** API verbs as discovery lists them. */
export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

/** A subresource such as `pods/status` or `deployments/scale`. */
export interface Subresource {
  /** The path segment after the object name: 'status', 'scale', 'binding', 'log', 'exec'. */
  name: string;
  /** What the subresource returns (discovery `responseKind`). */
  responseKind: { group: string; version: string; kind: string };
  verbs: Verb[];
}

/** One served resource type. */
export interface ResourceType {
  /** API group; '' for the core ("legacy") group served under /api/v1. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Lower-case plural, the REST path segment: 'pods'. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** 'all' puts the type in `kubectl get all`. */
  categories: string[];
  verbs: Verb[];
  subresources: Subresource[];
  /** Name of the OpenAPI definition in api/schemas/kubernetes.json. */
  schemaName: string;
}

/** group/version/kind triple. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const allVerbs: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const statusVerbs: Verb[] = ['get', 'patch', 'update'];

function status(group: string, version: string, kind: string): Subresource {
  return { name: 'status', responseKind: { group, version, kind }, verbs: statusVerbs };
}
const scale: Subresource = {
  name: 'scale',
  responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  verbs: statusVerbs,
};

/** Every resource type Skiff serves, in discovery order. */
export const resourceTypes: readonly ResourceType[] = Object.freeze([
  {
    group: '', version: 'v1', kind: 'Namespace', listKind: 'NamespaceList',
    plural: 'namespaces', singular: 'namespace', namespaced: false,
    shortNames: ['ns'], categories: [],
    // Kubernetes has no deletecollection for namespaces.
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [
      { name: 'finalize', responseKind: { group: '', version: 'v1', kind: 'Namespace' }, verbs: ['update'] },
      status('', 'v1', 'Namespace'),
    ],
    schemaName: 'io.k8s.api.core.v1.Namespace',
  },
  {
    group: '', version: 'v1', kind: 'Node', listKind: 'NodeList',
    plural: 'nodes', singular: 'node', namespaced: false,
    shortNames: ['no'], categories: [],
    verbs: allVerbs,
    subresources: [status('', 'v1', 'Node')],
    schemaName: 'io.k8s.api.core.v1.Node',
  },
  {
    group: '', version: 'v1', kind: 'Pod', listKind: 'PodList',
    plural: 'pods', singular: 'pod', namespaced: true,
    shortNames: ['po'], categories: ['all'],
    verbs: allVerbs,
    subresources: [
      { name: 'binding', responseKind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
      { name: 'exec', responseKind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
      { name: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] },
      status('', 'v1', 'Pod'),
    ],
    schemaName: 'io.k8s.api.core.v1.Pod',
  },
  {
    group: '', version: 'v1', kind: 'Service', listKind: 'ServiceList',
    plural: 'services', singular: 'service', namespaced: true,
    shortNames: ['svc'], categories: ['all'],
    verbs: allVerbs,
    subresources: [status('', 'v1', 'Service')],
    schemaName: 'io.k8s.api.core.v1.Service',
  },
  {
    group: '', version: 'v1', kind: 'ConfigMap', listKind: 'ConfigMapList',
    plural: 'configmaps', singular: 'configmap', namespaced: true,
    shortNames: ['cm'], categories: [],
    verbs: allVerbs, subresources: [],
    schemaName: 'io.k8s.api.core.v1.ConfigMap',
  },
  {
    group: '', version: 'v1', kind: 'Secret', listKind: 'SecretList',
    plural: 'secrets', singular: 'secret', namespaced: true,
    shortNames: [], categories: [],
    verbs: allVerbs, subresources: [],
    schemaName: 'io.k8s.api.core.v1.Secret',
  },
  {
    group: '', version: 'v1', kind: 'Event', listKind: 'EventList',
    plural: 'events', singular: 'event', namespaced: true,
    shortNames: ['ev'], categories: [],
    verbs: allVerbs, subresources: [],
    schemaName: 'io.k8s.api.core.v1.Event',
  },
  {
    group: 'apps', version: 'v1', kind: 'Deployment', listKind: 'DeploymentList',
    plural: 'deployments', singular: 'deployment', namespaced: true,
    shortNames: ['deploy'], categories: ['all'],
    verbs: allVerbs,
    subresources: [scale, status('apps', 'v1', 'Deployment')],
    schemaName: 'io.k8s.api.apps.v1.Deployment',
  },
  {
    group: 'apps', version: 'v1', kind: 'ReplicaSet', listKind: 'ReplicaSetList',
    plural: 'replicasets', singular: 'replicaset', namespaced: true,
    shortNames: ['rs'], categories: ['all'],
    verbs: allVerbs,
    subresources: [scale, status('apps', 'v1', 'ReplicaSet')],
    schemaName: 'io.k8s.api.apps.v1.ReplicaSet',
  },
  {
    group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', listKind: 'LeaseList',
    plural: 'leases', singular: 'lease', namespaced: true,
    shortNames: [], categories: [],
    verbs: allVerbs, subresources: [],
    schemaName: 'io.k8s.api.coordination.v1.Lease',
  },
] satisfies ResourceType[]);

/** `apiVersion` as written in objects: 'v1' for the core group, 'apps/v1' otherwise. */
export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** Splits an apiVersion into group and version ('v1' -> core group). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The GroupVersion's URL prefix: '/api/v1' or '/apis/apps/v1'. */
export function groupVersionPath(rt: { group: string; version: string }): string {
  return rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
}

/**
 * REST path of a collection or object: '/api/v1/namespaces/ns/pods/name/status'.
 * Cluster-scoped types ignore `namespace`; a namespaced type without one addresses all namespaces.
 */
export function resourcePath(
  rt: ResourceType,
  opts: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  let path = groupVersionPath(rt);
  if (rt.namespaced && opts.namespace) path += `/namespaces/${encodeURIComponent(opts.namespace)}`;
  path += `/${rt.plural}`;
  if (opts.name !== undefined) {
    path += `/${encodeURIComponent(opts.name)}`;
    if (opts.subresource) path += `/${opts.subresource}`;
  }
  return path;
}

/** The type's name as Kubernetes spells it in messages: 'pods', 'deployments.apps'. */
export function qualifiedResource(rt: ResourceType): string {
  return rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`;
}

/** Looks a type up by group, version and kind; undefined when Skiff does not serve it. */
export function findByGVK(gvk: GroupVersionKind): ResourceType | undefined {
  return resourceTypes.find((r) => r.group === gvk.group && r.version === gvk.version && r.kind === gvk.kind);
}

/** Looks a type up from an object's apiVersion and kind. */
export function findByApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
  return findByGVK({ ...parseApiVersion(apiVersion), kind });
}

/** Looks a type up by kind; kinds are unique across the groups Skiff serves. */
export function findByKind(kind: string): ResourceType | undefined {
  return resourceTypes.find((r) => r.kind === kind);
}

/** Looks a type up by its plural within a group ('' = core), as REST paths name it. */
export function findByPlural(group: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((r) => r.group === group && r.plural === plural);
}

/** Looks a type up by one of its short names ('po', 'deploy'). */
export function findByShortName(shortName: string): ResourceType | undefined {
  return resourceTypes.find((r) => r.shortNames.includes(shortName));
}

/**
 * Resolves what a person types on the command line, as kubectl does: plural, singular,
 * short name or kind, case-insensitive, optionally qualified by group ('deployments.apps',
 * 'deploy.apps') or by version and group ('deployments.v1.apps').
 */
export function resolveResource(arg: string): ResourceType | undefined {
  const lower = arg.toLowerCase();
  const matches = (r: ResourceType, name: string): boolean =>
    r.plural === name || r.singular === name || r.kind.toLowerCase() === name || r.shortNames.includes(name);
  const bare = resourceTypes.find((r) => matches(r, lower));
  if (bare) return bare;
  const dot = lower.indexOf('.');
  if (dot < 0) return undefined;
  const name = lower.slice(0, dot);
  const rest = lower.slice(dot + 1);
  return resourceTypes.find((r) => {
    if (!matches(r, name)) return false;
    return rest === r.group || rest === `${r.version}.${r.group}` || (r.group === '' && rest === r.version);
  });
}

/** Types in a discovery category, e.g. 'all' for `kubectl get all`. */
export function findByCategory(category: string): ResourceType[] {
  return resourceTypes.filter((r) => r.categories.includes(category));
}

/** The distinct group/versions served, core first, in table order. */
export function servedGroupVersions(): Array<{ group: string; version: string }> {
  const seen = new Set<string>();
  const out: Array<{ group: string; version: string }> = [];
  for (const r of resourceTypes) {
    const key = `${r.group}/${r.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ group: r.group, version: r.version });
  }
  return out;
}
