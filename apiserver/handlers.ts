// HTTP for resource URLs: picks the verb from method, path and query, decodes the body,
// calls ResourceRest, and writes the object, list, Table or Status back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { load as loadYaml } from 'js-yaml';
import type { UserInfo } from './authn.js';
import { parseFieldValidation } from './field-validation.js';
import { proxyPodLogs } from './node-proxy.js';
import type { KeyPair } from './pki.js';
import { MODIFIED_MESSAGE, collectionPrefix, decodeObject } from './object-store.js';
import { applyPatch, decodeApplied, patchTypeOf } from './patching.js';
import type { ResourceRequest } from './request-info.js';
import { RESOURCES, apiVersionOf, type KubeObject, type ResourceInfo } from './resources.js';
import { ResourceRest, listFilter, type DeleteOptions, type ListQuery, type WriteContext } from './rest.js';
import { labelSelectorToString } from './selectors.js';
import { ApiError, badRequest, conflict, methodNotAllowed, notFound, success } from './status.js';
import { toTable, wantsTable, type IncludeObject } from './table.js';
import { serveWatch, type WatchSettings } from './watch.js';
import type { WatchSource } from './watch-source.js';

/** What a resource request needs besides the request itself. */
export interface HandlerDeps {
  rest: ResourceRest;
  watches: WatchSource;
  watchSettings: WatchSettings;
  /** The client certificate the API server presents to node agents. */
  agentClient: KeyPair;
  /** Registers a running watch so shutdown can end it; returns its unregister function. */
  trackWatch: (stop: () => void) => () => void;
}

export interface ParsedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  user: UserInfo;
  query: URLSearchParams;
  body: Buffer;
}

/** Writes a JSON answer with Warning headers for anything the request should be told. */
export function sendJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) };
  if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

const NODES = RESOURCES.find((r) => r.kind === 'Node')!;
const JSON_TYPES = new Set(['', 'application/json', '*/*']);
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/** Decodes a write body: JSON (also when no Content-Type is sent, as kubectl does on PUT /scale, P7) or YAML. */
export function decodeBody(contentType: string | undefined, body: Buffer): KubeObject {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty: send the object as JSON or YAML');
  if (JSON_TYPES.has(type)) {
    try {
      return JSON.parse(text) as KubeObject;
    } catch (err) {
      throw badRequest(`decode request body: invalid JSON: ${(err as Error).message}`);
    }
  }
  if (YAML_TYPES.has(type)) {
    try {
      return loadYaml(text) as KubeObject;
    } catch (err) {
      throw badRequest(`decode request body: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (type === 'application/vnd.kubernetes.protobuf') {
    throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (skiff does not decode protobuf; for `kubectl create <generator>` use `--dry-run=client -o yaml | kubectl apply -f -`)');
  }
  throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format (${type}) - accepted media types include: application/json, application/yaml`);
}

function dryRunOf(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`unsupported dry run value "${v}": the only accepted value is "All"`);
  return values.length > 0;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: "${v}" is not an integer`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function includeObjectOf(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject') ?? 'Metadata';
  if (v !== 'None' && v !== 'Metadata' && v !== 'Object') throw badRequest(`includeObject must be None, Metadata or Object; got "${v}"`);
  return v;
}

function scaleOf(info: ResourceInfo, obj: KubeObject): KubeObject {
  const m = obj.metadata ?? {};
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: Parameters<typeof labelSelectorToString>[0] };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? (info.kind === 'Deployment' || info.kind === 'ReplicaSet' ? 1 : 0) },
    status: { replicas: status.replicas ?? 0, selector: labelSelectorToString(spec.selector) },
  };
}

function deleteOptionsOf(contentType: string | undefined, body: Buffer, q: URLSearchParams): DeleteOptions {
  let opts: DeleteOptions & { orphanDependents?: boolean } = {};
  if (body.length > 0 && body.toString('utf8').trim() !== '') opts = decodeBody(contentType, body) as DeleteOptions;
  const grace = intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy = q.get('propagationPolicy');
  if (policy) opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (opts.orphanDependents !== undefined && !opts.propagationPolicy) opts.propagationPolicy = opts.orphanDependents ? 'Orphan' : 'Background';
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw badRequest(`propagationPolicy must be Orphan, Background or Foreground; got "${opts.propagationPolicy}"`);
  }
  return opts;
}

async function listFromCache(watches: WatchSource, info: ResourceInfo, q: ListQuery): Promise<{ items: KubeObject[]; revision: number; continue?: string }> {
  const filter = listFilter(info, q);
  const snap = await watches.snapshot(info, collectionPrefix(info, q.namespace));
  const items = snap.items.map((kv) => decodeObject(info, kv)).filter((o) => !filter || filter(o));
  return { items, revision: snap.revision };
}

/** Serves one request to a resource URL; errors are thrown as ApiErrors for the caller to render. */
export async function handleResource(deps: HandlerDeps, r: ResourceRequest, p: ParsedRequest): Promise<void> {
  const info = RESOURCES.find((x) => x.group === r.group && x.version === r.version && x.resource === r.resource);
  if (!info) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${r.group ? `${r.resource}.${r.group}` : r.resource})`);
  if (!info.namespaced && r.namespace) throw new ApiError(404, 'NotFound', `the server could not find the requested resource: ${info.resource} is not namespaced`);
  if (r.subresource && !info.subresources.some((s) => s.name === r.subresource)) {
    throw new ApiError(404, 'NotFound', `the server could not find the requested resource: ${info.resource} has no subresource "${r.subresource}"`);
  }
  const { req, res, query: q } = p;
  const method = req.method ?? 'GET';
  const ns = info.namespaced ? r.namespace : undefined;
  const ctx: WriteContext = {
    user: p.user,
    dryRun: method === 'GET' ? false : dryRunOf(q),
    // Without ?fieldManager kube names the writer after its user agent ("kubectl/v1.32 ..." -> "kubectl").
    fieldManager: q.get('fieldManager') ?? req.headers['user-agent']?.split('/')[0] ?? undefined,
    fieldValidation: parseFieldValidation(q.get('fieldValidation') ?? undefined),
    warnings: [],
  };
  const table = wantsTable(req.headers.accept);
  const rest = deps.rest;

  if (!r.name) {
    if (method === 'GET') {
      if (boolParam(q, 'watch')) {
        return serveWatch(res, deps.watches, {
          info, namespace: ns,
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector: q.get('fieldSelector') ?? undefined,
          resourceVersion: q.get('resourceVersion') ?? undefined,
          allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks'),
          timeoutSeconds: intParam(q, 'timeoutSeconds'),
          table: table ? { include: includeObjectOf(q) } : undefined,
        }, deps.watchSettings, deps.trackWatch);
      }
      const listQuery = {
        namespace: ns,
        labelSelector: q.get('labelSelector') ?? undefined,
        fieldSelector: q.get('fieldSelector') ?? undefined,
        limit: intParam(q, 'limit'),
        continue: q.get('continue') ?? undefined,
      };
      // resourceVersion=0 means "any state is fine": served from the watch cache, unpaged,
      // as kube's cacher does, so every reflector's (re-)list costs no storage read (P13).
      const page = q.get('resourceVersion') === '0' && !listQuery.continue
        ? await listFromCache(deps.watches, info, listQuery)
        : await rest.list(info, listQuery);
      const listMeta = { resourceVersion: String(page.revision), ...(page.continue ? { continue: page.continue } : {}) };
      if (table) return sendJson(res, 200, toTable(info, page.items, listMeta, includeObjectOf(q)));
      return sendJson(res, 200, { kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata: listMeta, items: page.items });
    }
    if (method === 'POST') {
      const created = await rest.create(info, ns, decodeBody(req.headers['content-type'], p.body), ctx);
      return sendJson(res, 201, created, ctx.warnings);
    }
    if (method === 'DELETE') {
      // deletecollection: every matching object, one by one, as kube's store does.
      const page = await rest.list(info, { namespace: ns, labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined });
      const opts = deleteOptionsOf(req.headers['content-type'], p.body, q);
      const items: KubeObject[] = [];
      for (const o of page.items) {
        try {
          items.push((await rest.delete(info, o.metadata?.namespace, o.metadata!.name!, opts, ctx)).object);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        }
      }
      return sendJson(res, 200, { kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(page.revision) }, items });
    }
    throw methodNotAllowed(`${method} is not supported on the ${info.resource} collection`);
  }

  const name = r.name;
  switch (r.subresource) {
    case undefined:
    case 'status':
    case 'finalize':
      break;
    case 'scale':
      return handleScale(deps, info, ns, name, p, ctx);
    case 'binding': {
      if (method !== 'POST') throw methodNotAllowed(`${method} is not supported on pods/binding; POST a Binding`);
      await rest.bind(ns!, name, decodeBody(req.headers['content-type'], p.body), ctx);
      return sendJson(res, 201, success(201));
    }
    case 'log': {
      if (method !== 'GET') throw methodNotAllowed(`${method} is not supported on pods/log`);
      const pod = await rest.get(info, ns, name);
      const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      const node = nodeName ? await rest.store.tryGet(NODES, undefined, nodeName) : undefined;
      return proxyPodLogs(res, pod, node, q, deps.agentClient);
    }
    case 'exec':
      await rest.get(info, ns, name);
      // Upgrades are handled in server.ts; this is kubectl's SPDY fallback (or a plain GET).
      throw badRequest(`exec in pod ${ns}/${name}: upgrade to a WebSocket with subprotocol v5.channel.k8s.io (kubectl 1.30 or newer); SPDY is not supported`);
    default:
      throw notFound(info, `${name}/${r.subresource}`);
  }

  const sub = r.subresource;
  switch (method) {
    case 'GET': {
      if (sub === 'finalize') throw methodNotAllowed('GET is not supported on namespaces/finalize; use PUT');
      const obj = await rest.get(info, ns, name);
      if (table) return sendJson(res, 200, toTable(info, [obj], { resourceVersion: obj.metadata?.resourceVersion }, includeObjectOf(q)));
      return sendJson(res, 200, obj);
    }
    case 'PUT': {
      const obj = await rest.update(info, ns, name, decodeBody(req.headers['content-type'], p.body), ctx, sub);
      return sendJson(res, 200, obj, ctx.warnings);
    }
    case 'PATCH': {
      if (sub === 'finalize') throw methodNotAllowed('PATCH is not supported on namespaces/finalize; use PUT');
      const type = patchTypeOf(req.headers['content-type']);
      if (type === 'apply') {
        if (!q.get('fieldManager')) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
        const out = await rest.apply(info, ns, name, decodeApplied(p.body), ctx, boolParam(q, 'force'), sub);
        return sendJson(res, out.created ? 201 : 200, out.object, ctx.warnings);
      }
      const obj = await rest.patch(info, ns, name, req.headers['content-type']!, p.body, ctx, sub);
      return sendJson(res, 200, obj, ctx.warnings);
    }
    case 'DELETE': {
      if (sub) throw methodNotAllowed(`DELETE is not supported on ${info.resource}/${sub}`);
      const out = await rest.delete(info, ns, name, deleteOptionsOf(req.headers['content-type'], p.body, q), ctx);
      return sendJson(res, out.deleted ? 200 : 202, out.object);
    }
    default:
      throw methodNotAllowed(`${method} is not supported on ${info.resource}${sub ? `/${sub}` : ''}`);
  }
}

/** deployments/scale and replicasets/scale: an autoscaling/v1 Scale view of spec.replicas. */
async function handleScale(deps: HandlerDeps, info: ResourceInfo, ns: string | undefined, name: string, p: ParsedRequest, ctx: WriteContext): Promise<void> {
  const { req, res } = p;
  const rest = deps.rest;
  const method = req.method ?? 'GET';
  if (method === 'GET') return sendJson(res, 200, scaleOf(info, await rest.get(info, ns, name)));
  let desired: KubeObject;
  if (method === 'PUT') {
    desired = decodeBody(req.headers['content-type'], p.body);
    if (desired.kind !== undefined && desired.kind !== 'Scale') throw badRequest(`the body of PUT ${info.resource}/scale must be a Scale, not ${desired.kind}`);
  } else if (method === 'PATCH') {
    const type = patchTypeOf(req.headers['content-type']);
    if (type === 'apply') throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported on the scale subresource');
    const current = scaleOf(info, await rest.get(info, ns, name));
    desired = applyPatch(req.headers['content-type']!, current, p.body, 'Scale');
  } else {
    throw methodNotAllowed(`${method} is not supported on ${info.resource}/scale`);
  }
  const replicas = (desired.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, {
      name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: must be greater than or equal to 0' }],
    });
  }
  const pinned = desired.metadata?.resourceVersion;
  const current = await rest.get(info, ns, name);
  if (pinned && pinned !== current.metadata?.resourceVersion) {
    throw conflict(info, name, MODIFIED_MESSAGE);
  }
  const next = structuredClone(current);
  next.spec = { ...(next.spec as object), replicas };
  const updated = await rest.update(info, ns, name, next, { ...ctx, fieldValidation: 'Ignore' });
  return sendJson(res, 200, scaleOf(info, updated), ctx.warnings);
}
