// Discovery documents, derived from the resource table: aggregated discovery
// (apidiscovery.k8s.io v2 and v2beta1, chosen by Accept) and the legacy per-group and
// per-version lists older clients and @kubernetes/client-node read.
import { RESOURCES, groupVersions, type ResourceInfo } from './resources.js';

export type AggregatedVersion = 'v2' | 'v2beta1';

/**
 * Which aggregated discovery version the client asked for, if any. kubectl >= 1.30 offers v2
 * then v2beta1; 1.27-1.29 offer only v2beta1 (P3).
 */
export function negotiateAggregated(accept: string | undefined): AggregatedVersion | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const params = new Map(part.split(';').slice(1).map((p) => {
      const [k, v] = p.trim().split('=');
      return [k!.trim(), (v ?? '').trim()] as const;
    }));
    if (params.get('g') === 'apidiscovery.k8s.io' && params.get('as') === 'APIGroupDiscoveryList') {
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
    }
  }
  return undefined;
}

/** The Content-Type an aggregated discovery answer must carry, or client-go misreads it (P2). */
export function aggregatedContentType(v: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

function discoveryResource(r: ResourceInfo) {
  return {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length ? {
      subresources: r.subresources.map((s) => ({ subresource: s.name, responseKind: s.responseKind, verbs: s.verbs })),
    } : {}),
  };
}

/** The aggregated list for `/api` (core) or `/apis` (named groups). */
export function aggregatedDiscovery(core: boolean, v: AggregatedVersion) {
  const groups = new Map<string, ReturnType<typeof groupVersions>>();
  for (const gv of groupVersions()) {
    if ((gv.group === '') !== core) continue;
    groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv]);
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${v}`,
    metadata: {},
    items: [...groups.entries()].map(([group, versions]) => ({
      metadata: { ...(group ? { name: group } : {}), creationTimestamp: null },
      versions: versions.map((gv) => ({ version: gv.version, freshness: 'Current', resources: gv.resources.map(discoveryResource) })),
    })),
  };
}

/** Legacy `/api`. */
export function legacyCoreVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string) {
  const versions = groupVersions().filter((gv) => gv.group === group).map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0]! };
}

/** Legacy `/apis`. */
export function legacyGroupList() {
  const names = [...new Set(groupVersions().map((gv) => gv.group).filter((g) => g !== ''))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map(apiGroup) };
}

/** Legacy `/apis/<group>`; undefined when the group is not served. */
export function legacyGroup(group: string) {
  if (!RESOURCES.some((r) => r.group === group && group !== '')) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

/** Legacy `/api/v1` or `/apis/<group>/<version>`; undefined when not served. */
export function legacyResourceList(group: string, version: string) {
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (!resources.length) return undefined;
  const list: Record<string, unknown>[] = [];
  for (const r of resources) {
    list.push({
      name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      const other = s.responseKind.group !== r.group || s.responseKind.version !== r.version;
      list.push({
        name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced,
        ...(other ? { group: s.responseKind.group, version: s.responseKind.version } : {}),
        kind: s.responseKind.kind, verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: list };
}
