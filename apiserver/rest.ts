// Kubernetes object semantics on top of the ObjectStore: what create, update, patch and
// delete mean for any resource (uid, generation, generateName, finalizers, graceful
// deletion, dry runs, managed fields, status subresources), independent of HTTP.
import { randomUUID, randomInt } from 'node:crypto';
import { applyDefaults } from '../api/index.js';
import type { UserInfo } from './authn.js';
import { checkFields, type FieldValidation } from './field-validation.js';
import { ObjectStore, MODIFIED_MESSAGE } from './object-store.js';
import { applyConfiguration, applyPatch, recordWrite } from './patching.js';
import { RESOURCES, apiVersionOf, type KubeObject, type ObjectMeta, type ResourceInfo } from './resources.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, alreadyExists, badRequest, conflict, forbidden, invalid, notFound, type StatusCause } from './status.js';
import { validateObject } from './validation.js';
import { admitNodeWrite } from './node-authorizer.js';
import type { ServiceAllocator } from './service-allocator.js';

/** Per-request options that shape a write. */
export interface WriteContext {
  user: UserInfo;
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  /** Collected `Warning` headers (unknown fields under fieldValidation=Warn, ...). */
  warnings: string[];
}

export interface ListQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

/** metav1.DeleteOptions, the fields the server acts on. */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  /** The object: as deleted, or as now terminating. */
  object: KubeObject;
  /** False when the object still exists (finalizers or a graceful pod deletion pending). */
  deleted: boolean;
}

const NAMESPACES = RESOURCES.find((r) => r.kind === 'Namespace')!;

/** How long creates in a just-deleted namespace bypass the namespace cache (kube's forceLiveLookupTTL). */
const FORCE_LIVE_LOOKUP_MS = 30_000;
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_UPDATE_RETRIES = 8;

/** Kube's timestamp format: RFC 3339, whole seconds, UTC. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function meta(obj: KubeObject): ObjectMeta {
  return (obj.metadata ??= {}) as ObjectMeta;
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, kind: _k, apiVersion: _a, ...rest } = obj;
  return JSON.stringify(rest);
}

/** Deep equality by canonical JSON, ignoring resourceVersion and managed-field timestamps. */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const m = { ...(o.metadata ?? {}) };
    delete m.resourceVersion;
    delete m.managedFields;
    return canonical({ ...o, metadata: m });
  };
  return strip(a) === strip(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function isTerminalPod(obj: KubeObject): boolean {
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** CRUD with Kubernetes semantics for every served resource. */
export class ResourceRest {
  /**
   * @param cachedNamespace the Namespace from the watch cache when it holds it (saves a
   *   storage read on every namespaced create); storage is read when it returns undefined.
   */
  /** Namespaces recently deleted through this server: admission reads them from storage until then. */
  private readonly liveLookupUntil = new Map<string, number>();

  constructor(
    readonly store: ObjectStore,
    private readonly services?: ServiceAllocator,
    private readonly cachedNamespace?: (name: string) => KubeObject | undefined,
  ) {}

  /** Reserves a new or changed Service's ClusterIP and NodePorts; the result undoes it. */
  private async allocate(info: ResourceInfo, obj: KubeObject, old: KubeObject | undefined, ctx: WriteContext): Promise<() => Promise<void>> {
    if (info.kind !== 'Service' || !this.services || ctx.dryRun) return async () => {};
    return this.services.allocate(obj, old);
  }

  /** Gives back what a removed object held (a Service's ClusterIP and NodePorts). */
  private async released(info: ResourceInfo, obj: KubeObject, keep?: KubeObject): Promise<void> {
    if (info.kind === 'Service' && this.services) await this.services.release(obj, keep);
  }

  get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.store.get(info, namespace, name);
  }

  /** One page of the collection, filtered by label and field selectors. */
  list(info: ResourceInfo, q: ListQuery) {
    return this.store.list(info, { namespace: q.namespace, limit: q.limit, continue: q.continue, filter: listFilter(info, q) });
  }

  /** POST: a new object (generateName, uid, generation 1, defaults, validation); 409 if the name is taken. */
  async create(info: ResourceInfo, namespace: string | undefined, body: KubeObject, ctx: WriteContext, opts: { applied?: boolean; force?: boolean } = {}): Promise<KubeObject> {
    let obj = this.checkBody(info, namespace, body, ctx);
    if (opts.applied) obj = applyConfiguration(undefined, obj, ctx.fieldManager!, opts.force ?? false, info.kind);
    const m = meta(obj);
    if (m.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!m.name && !m.generateName) {
      throw invalid(info, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    }
    if (info.namespaced) await this.admitNamespace(info, namespace!, m.name ?? m.generateName ?? '');
    admitNodeWrite(ctx.user, info, obj);
    m.uid = randomUUID();
    m.creationTimestamp = timestamp(new Date());
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    if ('spec' in obj) m.generation = 1;
    else delete m.generation;
    prepareCreateStatus(info, obj);
    convertSecretStringData(obj);
    applyDefaults(obj);
    if (!opts.applied) obj = recordWrite(undefined, obj, managerOf(ctx), info.kind);
    const generated = !m.name;
    const om = meta(obj);
    // An existing name is a 409 AlreadyExists, not an "address already allocated" 422.
    if (info.kind === 'Service' && !generated && await this.store.tryGet(info, namespace, om.name!)) throw alreadyExists(info, om.name!);
    const undo = await this.allocate(info, obj, undefined, ctx);
    try {
      return await this.createWithName(info, namespace, obj, ctx, generated, m.generateName);
    } catch (err) {
      await undo();
      throw err;
    }
  }

  private async createWithName(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, ctx: WriteContext, generated: boolean, generateName?: string): Promise<KubeObject> {
    const om = meta(obj);
    for (let attempt = 0; ; attempt++) {
      if (generated) om.name = generateName + Array.from({ length: 5 }, () => NAME_SUFFIX_ALPHABET[randomInt(NAME_SUFFIX_ALPHABET.length)]).join('');
      this.validate(info, obj);
      if (ctx.dryRun) {
        if (await this.store.tryGet(info, namespace, om.name!)) throw alreadyExists(info, om.name!);
        return { ...obj, metadata: { ...om } };
      }
      try {
        return await this.store.create(info, obj);
      } catch (err) {
        // A generated name that collides is retried with a fresh suffix, as kube does since 1.30.
        if (!(generated && err instanceof ApiError && err.reason === 'AlreadyExists' && attempt < 8)) throw err;
      }
    }
  }

  /**
   * PUT: replaces the object (or only its status / namespace finalizers for those subresources).
   * A body resourceVersion must match the stored one (409 otherwise); without one the write is unconditional.
   */
  async update(info: ResourceInfo, namespace: string | undefined, name: string, body: KubeObject, ctx: WriteContext, subresource?: string): Promise<KubeObject> {
    const incoming = this.checkBody(info, namespace, body, ctx, subresource);
    const bodyName = incoming.metadata?.name;
    if (bodyName !== undefined && bodyName !== name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    }
    meta(incoming).name = name;
    const precondition = incoming.metadata?.resourceVersion;
    return this.guaranteedUpdate(info, namespace, name, ctx, subresource, () => structuredClone(incoming), precondition);
  }

  /** PATCH with a strategic merge, JSON merge or JSON patch; retried on write races unless the patch pins a resourceVersion. */
  async patch(info: ResourceInfo, namespace: string | undefined, name: string, contentType: string, body: Buffer, ctx: WriteContext, subresource?: string): Promise<KubeObject> {
    let pinned: string | undefined;
    if (!contentType.startsWith('application/json-patch+json')) {
      try {
        pinned = (JSON.parse(body.toString('utf8')) as KubeObject | null)?.metadata?.resourceVersion;
      } catch {
        // A malformed body is reported by the patch engine, with its reason.
      }
    }
    return this.guaranteedUpdate(info, namespace, name, ctx, subresource, (current) => {
      const next = applyPatch(contentType, current, body, info.kind);
      if (next.kind !== undefined && next.kind !== info.kind) throw badRequest(`patch of ${info.kind} "${name}" may not change kind to ${String(next.kind)}`);
      this.checkFieldsOf(info, next, ctx);
      return next;
    }, pinned);
  }

  /**
   * Server-side apply (`application/apply-patch+yaml`): creates the object when absent (201),
   * otherwise merges the manager's configuration with field ownership; 409 on conflicts without force.
   */
  async apply(info: ResourceInfo, namespace: string | undefined, name: string, applied: KubeObject, ctx: WriteContext, force: boolean, subresource?: string): Promise<{ object: KubeObject; created: boolean }> {
    if (!ctx.fieldManager) throw badRequest('PATCH with application/apply-patch+yaml requires the fieldManager query parameter');
    const obj = this.checkBody(info, namespace, applied, ctx, subresource);
    if (obj.metadata?.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    meta(obj).name = name;
    for (let attempt = 0; ; attempt++) {
      const existing = await this.store.tryGet(info, namespace, name);
      if (!existing) {
        if (subresource) throw notFound(info, name);
        try {
          return { object: await this.create(info, namespace, obj, ctx, { applied: true, force }), created: true };
        } catch (err) {
          // Someone created it meanwhile: apply onto theirs.
          if (err instanceof ApiError && err.reason === 'AlreadyExists' && attempt < MAX_UPDATE_RETRIES) continue;
          throw err;
        }
      }
      const pinned = obj.metadata?.resourceVersion;
      const object = await this.guaranteedUpdate(info, namespace, name, ctx, subresource,
        (current) => applyConfiguration(current, obj, ctx.fieldManager!, force, info.kind, subresource), pinned, true);
      return { object, created: false };
    }
  }

  /**
   * DELETE: immediate unless finalizers or a bound pod's grace period keep the object,
   * in which case it gets deletionTimestamp and stays until they are done.
   */
  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions, ctx: WriteContext): Promise<DeleteResult> {
    if (info.kind === 'Namespace' && IMMORTAL_NAMESPACES.has(name)) {
      throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    // The cached copy of a namespace being deleted is about to be stale: creates in it read
    // storage for a while, as kube's NamespaceLifecycle does with its forceLiveLookup cache.
    if (info.kind === 'Namespace') this.liveLookupUntil.set(name, Date.now() + FORCE_LIVE_LOOKUP_MS);
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(info, namespace, name);
      const m = meta(current);
      admitNodeWrite(ctx.user, info, current);
      const pre = opts.preconditions ?? {};
      if (pre.uid && pre.uid !== m.uid) {
        throw conflict(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid}`);
      }
      if (pre.resourceVersion && pre.resourceVersion !== m.resourceVersion) {
        throw conflict(info, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion}`);
      }
      const next = structuredClone(current);
      const nm = meta(next);
      const finalizers = new Set(nm.finalizers ?? []);
      if (opts.propagationPolicy === 'Orphan') finalizers.add('orphan');
      if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      const now = new Date();
      let grace = 0;
      if (info.kind === 'Pod') grace = podGracePeriod(current, opts);
      const nsFinalizers = info.kind === 'Namespace' ? ((current.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) : [];

      if (finalizers.size === 0 && grace === 0 && nsFinalizers.length === 0) {
        if (ctx.dryRun) return { object: current, deleted: true };
        try {
          const rev = await this.store.delete(info, namespace, name, Number(m.resourceVersion));
          await this.released(info, current);
          return { object: { ...current, metadata: { ...m, resourceVersion: String(rev) } }, deleted: true };
        } catch (err) {
          if (err instanceof ApiError && err.reason === 'Conflict' && attempt < MAX_UPDATE_RETRIES && !pre.resourceVersion) continue;
          throw err;
        }
      }
      // Graceful: record when the object should be gone; a shorter grace period may cut
      // an existing one short, a longer one never extends it (kube's BeforeDelete).
      const deadline = new Date(now.getTime() + grace * 1000);
      if (!nm.deletionTimestamp || new Date(nm.deletionTimestamp) > deadline) {
        nm.deletionTimestamp = timestamp(deadline);
        nm.deletionGracePeriodSeconds = grace;
      } else if (nm.deletionGracePeriodSeconds === undefined) {
        nm.deletionGracePeriodSeconds = grace;
      }
      nm.finalizers = [...finalizers];
      if (nm.finalizers.length === 0) delete nm.finalizers;
      if (info.kind === 'Namespace') next.status = { ...(next.status as object), phase: 'Terminating' };
      if (sameContent(next, current)) return { object: current, deleted: false };
      if (ctx.dryRun) return { object: next, deleted: false };
      try {
        return { object: await this.store.update(info, next, Number(m.resourceVersion)), deleted: false };
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'Conflict' && attempt < MAX_UPDATE_RETRIES && !pre.resourceVersion) continue;
        throw err;
      }
    }
  }

  /** Sets spec.nodeName through pods/binding; 409 when the pod is already bound. */
  async bind(namespace: string, name: string, binding: KubeObject, ctx: WriteContext): Promise<void> {
    const pods = RESOURCES.find((r) => r.kind === 'Pod')!;
    const target = (binding as { target?: { name?: string; kind?: string } }).target;
    if (!target?.name) throw invalid(pods, name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    const bm = binding.metadata ?? {};
    if (bm.name && bm.name !== name) throw badRequest(`the name of the binding (${bm.name}) does not match the pod on the URL (${name})`);
    await this.guaranteedUpdate(pods, namespace, name, ctx, 'binding', (current) => {
      const spec = (current.spec ?? {}) as { nodeName?: string };
      if (current.metadata?.deletionTimestamp) throw conflict(pods, name, 'pod is being deleted, cannot be assigned to a host');
      if (spec.nodeName) throw conflict(pods, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = target.name;
      current.spec = spec;
      const status = (current.status ?? {}) as { conditions?: Array<Record<string, unknown>> };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(new Date()) });
      current.status = { ...status, conditions };
      return current;
    }, bm.resourceVersion);
  }

  /**
   * Reads the object, lets `mutate` compute the desired object, applies the update strategy,
   * and writes it with compare-and-swap, retrying lost races unless `precondition` pins a version.
   */
  private async guaranteedUpdate(
    info: ResourceInfo, namespace: string | undefined, name: string, ctx: WriteContext, subresource: string | undefined,
    mutate: (current: KubeObject) => KubeObject, precondition?: string, applied = false,
  ): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(info, namespace, name);
      const cm = meta(current);
      admitNodeWrite(ctx.user, info, current);
      if (precondition && precondition !== cm.resourceVersion) throw conflict(info, name, MODIFIED_MESSAGE);
      const desired = mutate(structuredClone(current));
      let next = prepareUpdate(info, current, desired, subresource);
      if (cm.deletionTimestamp) {
        const added = (meta(next).finalizers ?? []).filter((f) => !(cm.finalizers ?? []).includes(f));
        if (added.length) {
          throw invalid(info, name, [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
        }
      }
      if (subresource !== 'status' && subresource !== 'binding') {
        convertSecretStringData(next);
        applyDefaults(next);
      }
      this.validate(info, next, current, subresource);
      if (sameContent(next, current)) return current;
      if (!applied) next = recordWrite(current, next, managerOf(ctx), info.kind, subresource);
      const nm = meta(next);
      if (ctx.dryRun) return next;
      if (readyToVanish(info, next)) {
        try {
          const rev = await this.store.delete(info, namespace, name, Number(cm.resourceVersion));
          await this.released(info, current);
          return { ...next, metadata: { ...nm, resourceVersion: String(rev) } };
        } catch (err) {
          if (err instanceof ApiError && err.reason === 'Conflict' && !precondition && attempt < MAX_UPDATE_RETRIES) continue;
          throw err;
        }
      }
      const undo = subresource === undefined ? await this.allocate(info, next, current, ctx) : async () => {};
      try {
        const stored = await this.store.update(info, next, Number(cm.resourceVersion));
        await this.released(info, current, stored);
        return stored;
      } catch (err) {
        await undo();
        if (err instanceof ApiError && err.reason === 'Conflict' && !precondition && attempt < MAX_UPDATE_RETRIES) continue;
        throw err;
      }
    }
  }

  /** Common body checks: kind/apiVersion match the URL, namespace matches, unknown fields per fieldValidation. */
  private checkBody(info: ResourceInfo, namespace: string | undefined, body: KubeObject, ctx: WriteContext, subresource?: string): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`decode ${info.kind}: the request body must be a JSON or YAML object`);
    const obj = structuredClone(body);
    if (obj.kind !== undefined && obj.kind !== info.kind) {
      throw badRequest(`the kind of the request body (${obj.kind}) does not match ${info.kind}, the kind served at this URL`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(info)) {
      throw badRequest(`the apiVersion of the request body (${obj.apiVersion}) does not match ${apiVersionOf(info)}, the version served at this URL`);
    }
    obj.kind = info.kind;
    obj.apiVersion = apiVersionOf(info);
    const m = meta(obj);
    if (info.namespaced) {
      if (m.namespace && m.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = namespace;
    } else {
      delete m.namespace;
    }
    if (subresource !== 'binding') this.checkFieldsOf(info, obj, ctx);
    return obj;
  }

  private checkFieldsOf(info: ResourceInfo, obj: KubeObject, ctx: WriteContext): void {
    for (const w of checkFields(obj, info, ctx.fieldValidation)) if (!ctx.warnings.includes(w)) ctx.warnings.push(w);
  }

  private validate(info: ResourceInfo, obj: KubeObject, old?: KubeObject, subresource?: string): void {
    const causes: StatusCause[] = validateObject(info, obj, old, subresource);
    if (causes.length) throw invalid(info, obj.metadata?.name ?? '', causes);
  }

  /** NamespaceLifecycle admission: the namespace must exist and not be terminating. */
  private async admitNamespace(info: ResourceInfo, namespace: string, name: string): Promise<void> {
    const live = (this.liveLookupUntil.get(namespace) ?? 0) > Date.now();
    if (!live) this.liveLookupUntil.delete(namespace);
    const ns = (live ? undefined : this.cachedNamespace?.(namespace)) ?? await this.store.tryGet(NAMESPACES, undefined, namespace);
    if (!ns) throw notFound(NAMESPACES, namespace);
    if (ns.metadata?.deletionTimestamp) {
      throw forbidden(`${info.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name, kind: info.resource, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }
}

/** The field manager a write is recorded under; kube derives one from the user agent, we name the user. */
function managerOf(ctx: WriteContext): string {
  return ctx.fieldManager ?? ctx.user.name;
}

/** The selectors of a list as one predicate; undefined when there are none. 400 on a bad selector. */
export function listFilter(info: ResourceInfo, q: ListQuery): ((o: KubeObject) => boolean) | undefined {
  const labels = parseLabelSelector(q.labelSelector);
  const fields = parseFieldSelector(q.fieldSelector, selectableFields(info));
  if (!labels.length && !fields.length) return undefined;
  return (o) => matchesLabels(labels, o.metadata?.labels) && matchesFields(fields, fieldValues(info, o));
}

/** The field names a field selector may use for this resource. */
export function selectableFields(info: ResourceInfo): Set<string> {
  const names = ['metadata.name'];
  if (info.namespaced) names.push('metadata.namespace');
  // Kube accepts metadata.namespace on cluster-scoped kinds too (it is always empty there).
  else names.push('metadata.namespace');
  const sample = info.fields?.({});
  return new Set([...names, ...Object.keys(sample ?? {})]);
}

/** The values field selectors match against. */
export function fieldValues(info: ResourceInfo, obj: KubeObject): Record<string, string | undefined> {
  return { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '', ...(info.fields?.(obj) ?? {}) };
}

function podGracePeriod(pod: KubeObject, opts: DeleteOptions): number {
  // An unscheduled or finished pod has nothing running to wait for.
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName || isTerminalPod(pod)) return 0;
  const fromSpec = (pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds;
  const g = opts.gracePeriodSeconds ?? fromSpec ?? 30;
  return Math.max(0, g);
}

/** True when a terminating object has nothing left holding it (no finalizers, grace over). */
function readyToVanish(info: ResourceInfo, obj: KubeObject): boolean {
  const m = obj.metadata ?? {};
  if (!m.deletionTimestamp) return false;
  if ((m.finalizers ?? []).length > 0) return false;
  if (info.kind === 'Namespace' && ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0) return false;
  return (m.deletionGracePeriodSeconds ?? 0) === 0;
}

/**
 * A Secret's write-only `stringData` is merged into `data` (base64) and never stored, as
 * kube's v1 conversion does; stringData wins over data for the same key.
 */
function convertSecretStringData(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || !obj.stringData || typeof obj.stringData !== 'object') return;
  const data = { ...((obj.data as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(obj.stringData as Record<string, unknown>)) data[k] = Buffer.from(String(v)).toString('base64');
  obj.data = data;
  delete obj.stringData;
}

function prepareCreateStatus(info: ResourceInfo, obj: KubeObject): void {
  switch (info.kind) {
    case 'Pod':
      obj.status = { phase: 'Pending' };
      break;
    case 'Namespace': {
      obj.status = { phase: 'Active' };
      const spec = (obj.spec ?? {}) as { finalizers?: string[] };
      spec.finalizers ??= ['kubernetes'];
      obj.spec = spec;
      break;
    }
    case 'Deployment':
    case 'ReplicaSet':
      obj.status = {};
      break;
    case 'Service':
      obj.status = { loadBalancer: {} };
      break;
  }
}

/**
 * Kube's update strategies: the main resource cannot change status (for kinds with a status
 * subresource) nor the server-owned metadata; `/status` changes only status; `/finalize`
 * only a namespace's spec.finalizers. Generation moves when the spec changes.
 */
function prepareUpdate(info: ResourceInfo, current: KubeObject, desired: KubeObject, subresource: string | undefined): KubeObject {
  let next: KubeObject;
  if (subresource === 'status') {
    next = structuredClone(current);
    next.status = desired.status;
  } else if (subresource === 'finalize') {
    next = structuredClone(current);
    next.spec = { ...(current.spec as object), finalizers: (desired.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] };
  } else {
    next = desired;
    if (info.hasStatus && subresource !== 'binding') next.status = current.status;
    if (subresource === undefined && info.kind === 'Namespace') {
      next.spec = { ...(next.spec as object), finalizers: (current.spec as { finalizers?: string[] } | undefined)?.finalizers };
    }
  }
  next.kind = info.kind;
  next.apiVersion = apiVersionOf(info);
  const cm = meta(current);
  const nm = meta(next);
  nm.name = cm.name;
  if (info.namespaced) nm.namespace = cm.namespace;
  else delete nm.namespace;
  nm.uid = cm.uid;
  nm.creationTimestamp = cm.creationTimestamp;
  nm.resourceVersion = cm.resourceVersion;
  if (cm.deletionTimestamp) nm.deletionTimestamp = cm.deletionTimestamp;
  else delete nm.deletionTimestamp;
  if (cm.deletionGracePeriodSeconds !== undefined) nm.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
  else delete nm.deletionGracePeriodSeconds;
  if (cm.generation !== undefined) nm.generation = specOf(next) !== specOf(current) ? cm.generation + 1 : cm.generation;
  else delete nm.generation;
  if (nm.managedFields === undefined && cm.managedFields) nm.managedFields = cm.managedFields;
  if (nm.finalizers && nm.finalizers.length === 0) delete nm.finalizers;
  return next;
}
