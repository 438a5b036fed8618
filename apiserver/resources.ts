// The REST face of every resource the API server serves: where it lives in the URL space,
// which verbs and subresources it has, how it is named in discovery, and which fields a
// field selector may use. Object shapes, schemas and defaults belong to `api/`.
import { apiVersionOf, resourceTypes, type ResourceType } from '../api/index.js';
import type { KubeObject, ObjectMeta as ApiObjectMeta } from '../api/index.js';

/**
 * A served resource type (from api/'s resource table) plus what only the REST layer needs:
 * the storage/URL segment, whether it has a status subresource, and its selectable fields.
 */
export interface ResourceInfo extends ResourceType {
  /** Plural, lowercase: the URL segment and the storage key segment. */
  resource: string;
  /** True when the main endpoint ignores status and `/status` writes only status (kube's status strategy). */
  hasStatus: boolean;
  /** Field values a `fieldSelector` may name, besides metadata.name and metadata.namespace. */
  fields?: (obj: KubeObject) => Record<string, string | undefined>;
}

export type { KubeObject };

/** ObjectMeta as the server edits it (kubernetes-types marks server-set fields readonly). */
export type ObjectMeta = { -readonly [K in keyof ApiObjectMeta]: ApiObjectMeta[K] };

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

// Selectable fields per kind, as kube's registries declare them (GetAttrs / field label conversion).
const FIELD_SELECTORS: Record<string, (o: KubeObject) => Record<string, string | undefined>> = {
  Namespace: (o) => ({ 'status.phase': str((o.status as { phase?: string } | undefined)?.phase) }),
  Node: (o) => ({ 'spec.unschedulable': str((o.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false) }),
  Pod: (o) => {
    const spec = (o.spec ?? {}) as { nodeName?: string; restartPolicy?: string; schedulerName?: string; serviceAccountName?: string; hostNetwork?: boolean };
    const status = (o.status ?? {}) as { phase?: string; podIP?: string; nominatedNodeName?: string };
    return {
      'spec.nodeName': spec.nodeName ?? '',
      'spec.restartPolicy': str(spec.restartPolicy),
      'spec.schedulerName': str(spec.schedulerName),
      'spec.serviceAccountName': str(spec.serviceAccountName),
      'spec.hostNetwork': str(spec.hostNetwork ?? false),
      'status.phase': status.phase ?? '',
      'status.podIP': status.podIP ?? '',
      'status.nominatedNodeName': status.nominatedNodeName ?? '',
    };
  },
  Secret: (o) => ({ type: str(o.type) }),
  Event: (o) => {
    const io = (o.involvedObject ?? {}) as Record<string, unknown>;
    const source = (o.source ?? {}) as { component?: string };
    return {
      'involvedObject.kind': str(io.kind) ?? '',
      'involvedObject.namespace': str(io.namespace) ?? '',
      'involvedObject.name': str(io.name) ?? '',
      'involvedObject.uid': str(io.uid) ?? '',
      'involvedObject.apiVersion': str(io.apiVersion) ?? '',
      'involvedObject.resourceVersion': str(io.resourceVersion) ?? '',
      'involvedObject.fieldPath': str(io.fieldPath) ?? '',
      reason: str(o.reason) ?? '',
      reportingComponent: str(o.reportingComponent) ?? '',
      source: source.component ?? '',
      type: str(o.type) ?? '',
    };
  },
  ReplicaSet: (o) => ({ 'status.replicas': str((o.status as { replicas?: number } | undefined)?.replicas ?? 0) }),
};

/** Every served resource, in discovery order. */
export const RESOURCES: ResourceInfo[] = resourceTypes.map((rt) => ({
  ...rt,
  resource: rt.plural,
  hasStatus: rt.subresources.some((s) => s.name === 'status'),
  fields: FIELD_SELECTORS[rt.kind],
}));

export { apiVersionOf };

/** The resource served at group/version/resource, if any. */
export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** "deployments.apps" / "pods": how kube names a resource in error messages. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

/** The group versions served, each with its resources, in discovery order (core first). */
export function groupVersions(): { group: string; version: string; resources: ResourceInfo[] }[] {
  const out: { group: string; version: string; resources: ResourceInfo[] }[] = [];
  for (const r of RESOURCES) {
    let gv = out.find((g) => g.group === r.group && g.version === r.version);
    if (!gv) out.push((gv = { group: r.group, version: r.version, resources: [] }));
    gv.resources.push(r);
  }
  return out;
}
