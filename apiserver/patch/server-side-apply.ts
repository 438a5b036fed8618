// Server-side apply (`kubectl apply --server-side`, content type application/apply-patch+yaml)
// and the field ownership every other write records.
//
// Each writer is a *manager* (the fieldManager query parameter). metadata.managedFields keeps,
// per manager and operation, the set of fields it owns (field-set.ts). An Apply says "these
// fields, with these values, are my intent":
//
//   1. the applied configuration is merged into the live object, lists by their SSA keys
//      (ports are keyed by containerPort+protocol, so `protocol: TCP` is defaulted first);
//   2. fields this manager applied last time but not now are removed, unless another manager
//      owns them too;
//   3. any field whose value changes and that another manager owns is a conflict: 409 with one
//      cause per field, unless force=true, which moves ownership to the applier;
//   4. the manager now owns exactly the fields it applied (shared with any manager that set
//      the same value).
// An Update (PUT, or a merge/JSON/strategic PATCH) owns whatever it changed and takes those
// fields away from everyone else; it never conflicts.
//
// Kubernetes does this in structured-merge-diff with full OpenAPI schemas; Skiff uses the
// list metadata of merge-keys.ts and treats everything else as plain maps and atomic lists.

import { PatchError } from './errors.js';
import { childPath, fieldMeta, itemPath } from './merge-keys.js';
import {
  collectFields,
  decodePath,
  encodePath,
  formatPath,
  fromFieldsV1,
  keyElement,
  toFieldsV1,
  type FieldEntry,
  type FieldSet,
} from './field-set.js';
import { deepClone, deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** A field another manager owns and this apply would change. */
export interface FieldConflict {
  manager: string;
  apiVersion: string;
  /** As Kubernetes prints it: `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`. */
  field: string;
}

/** 409 Conflict from an apply without force; `conflicts` lists every contested field. */
export class ApplyConflictError extends PatchError {
  readonly conflicts: FieldConflict[];
  constructor(conflicts: FieldConflict[]) {
    super('Conflict', conflictMessage(conflicts), conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${JSON.stringify(c.manager)} using ${c.apiVersion}`,
      field: c.field,
    })));
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }
}

export interface ApplyOptions {
  /** The stored object; absent means create (the server answers 201). */
  live?: JsonObject;
  /** The applied configuration, already decoded from YAML/JSON. */
  applied: JsonObject;
  /** fieldManager; required for apply, as Kubernetes requires it. */
  manager: string;
  force?: boolean;
  kind: string;
  now: Date | string;
  /** `status` when applying to the status subresource. */
  subresource?: 'status';
}

export interface ApplyResult {
  object: JsonObject;
  created: boolean;
}

/** Server-side apply. Returns the new object with metadata.managedFields maintained; throws
 * ApplyConflictError (409) on conflicts without force, PatchError 400/422 on bad input. */
export function serverSideApply(options: ApplyOptions): ApplyResult {
  const { kind, manager, live } = options;
  validateApplied(options);
  const config = normalizeApplied(kind, options.applied, options.subresource);
  const owned = (entries: Map<string, FieldEntry>): FieldSet => filterOwned(new Set(entries.keys()), options.subresource);
  const appliedSet = owned(collectFields(kind, config, { strict: true }));
  const apiVersion = String(options.applied.apiVersion);
  const now = timestamp(options.now);
  const me = managerKey(manager, 'Apply', options.subresource);

  if (!live) {
    const object = deepClone(config);
    const entries = appliedSet.size > 0 ? [entry(manager, 'Apply', apiVersion, now, appliedSet, options.subresource)] : [];
    setManagedFields(object, entries);
    return { object, created: true };
  }

  const managers = readManagedFields(live);
  const base = withoutManagedFields(live);
  const before = collectFields(kind, base);
  // mergeApplied reuses its first argument, so it gets a copy of its own.
  const merged = mergeApplied(kind, deepClone(base), config, '') as JsonObject;

  // Prune: what this manager applied before, no longer applies, and nobody else owns.
  const lastSet = managers.get(me)?.set ?? new Set<string>();
  const othersOwn = new Set<string>();
  for (const [key, m] of managers) if (key !== me) for (const p of m.set) othersOwn.add(p);
  const stale = [...lastSet].filter((p) => !appliedSet.has(p) && !othersOwn.has(p));
  const othersOwnBelow = new Set<string>(); // every strict ancestor of a path others own
  for (const p of othersOwn) {
    const elements = decodePath(p);
    for (let n = 1; n < elements.length; n++) othersOwnBelow.add(encodePath(elements.slice(0, n)));
  }
  // Shallowest first: a removed list element takes its fields with it. An element someone
  // else still owns fields of stays, and so do the key fields that identify it.
  stale.sort((a, b) => decodePath(a).length - decodePath(b).length);
  for (const path of stale) {
    const elements = decodePath(path);
    if (othersOwnBelow.has(path)) continue;
    if (isKeyField(elements)) continue;
    removePath(kind, merged, elements);
  }

  // Compare live and result: changed fields owned by others are conflicts.
  const after = collectFields(kind, merged);
  const changed = filterOwned(changedPaths(before, after), options.subresource);
  const removed = filterOwned(new Set([...before.keys()].filter((p) => !after.has(p))), options.subresource);
  const conflicts: FieldConflict[] = [];
  for (const [key, m] of managers) {
    if (key === me) continue;
    const contested = [...m.set].filter((p) => changed.has(p) && appliedSet.has(p));
    if (contested.length === 0) continue;
    if (!options.force) {
      for (const p of contested.sort()) conflicts.push({ manager: m.entry.manager, apiVersion: m.entry.apiVersion, field: formatPath(p) });
    } else {
      for (const p of contested) disown(m, p);
    }
  }
  if (conflicts.length > 0) throw new ApplyConflictError(conflicts);
  for (const [key, m] of managers) if (key !== me) for (const p of removed) disown(m, p);

  const previous = managers.get(me);
  const time = previous && sameSet(previous.set, appliedSet) ? (previous.entry.time ?? now) : now;
  managers.set(me, { entry: entry(manager, 'Apply', apiVersion, time, appliedSet, options.subresource), set: appliedSet });
  setManagedFields(merged, encodeManagers(managers));
  return { object: merged, created: false };
}

export interface UpdateOptions {
  /** The stored object before the write; absent for a create. */
  old?: JsonObject;
  /** The object about to be stored (after the patch or PUT body, defaulting and validation). */
  new: JsonObject;
  manager: string;
  kind: string;
  now: Date | string;
  operation?: 'Update';
  subresource?: 'status';
}

/** Records a non-apply write (create, PUT, merge/JSON/strategic PATCH): `manager` owns the
 * fields it changed, which other managers lose. Returns the object to store.
 * A body that sets metadata.managedFields itself replaces the history (kubectl's SSA
 * upgrade relies on it); `managedFields: [{}]` clears it, as in Kubernetes. */
export function recordUpdate(options: UpdateOptions): JsonObject {
  const { kind, manager } = options;
  const next = deepClone(options.new);
  const supplied = (isObject(next.metadata) ? next.metadata.managedFields : undefined) as JsonValue | undefined;
  const stored = options.old && isObject(options.old.metadata) ? options.old.metadata.managedFields : undefined;

  if (Array.isArray(supplied) && supplied.length === 1 && isObject(supplied[0]) && Object.keys(supplied[0]).length === 0) {
    setManagedFields(next, []);
    return next;
  }
  const explicit = Array.isArray(supplied) && supplied.length > 0 && !deepEqual(supplied, stored ?? null);
  let managers: Managers;
  if (explicit) {
    try {
      managers = decodeManagers(supplied, true);
    } catch (err) {
      throw new PatchError('BadRequest', `record managed fields of ${kind}: metadata.managedFields is invalid: ${(err as Error).message}`, [], { cause: err });
    }
  } else {
    managers = options.old ? readManagedFields(options.old) : new Map();
  }

  const after = collectFields(kind, withoutManagedFields(next));
  const before = options.old ? collectFields(kind, withoutManagedFields(options.old)) : new Map<string, FieldEntry>();
  const changed = filterOwned(changedPaths(before, after), options.subresource);
  const removed = filterOwned(new Set([...before.keys()].filter((p) => !after.has(p))), options.subresource);
  const me = managerKey(manager, 'Update', options.subresource);
  for (const [key, m] of managers) {
    if (key === me) continue;
    for (const p of changed) disown(m, p);
    for (const p of removed) disown(m, p);
  }
  const previous = managers.get(me);
  const mine = new Set([...(previous?.set ?? [])].filter((p) => !removed.has(p)));
  for (const p of changed) mine.add(p);
  const now = timestamp(options.now);
  const apiVersion = typeof next.apiVersion === 'string' ? next.apiVersion : (previous?.entry.apiVersion ?? '');
  const time = previous && sameSet(previous.set, mine) ? (previous.entry.time ?? now) : now;
  managers.set(me, { entry: entry(manager, 'Update', apiVersion, time, mine, options.subresource), set: mine });
  setManagedFields(next, encodeManagers(managers));
  return next;
}

/** The fields each manager owns according to an object's metadata.managedFields. */
export function managedFieldSets(obj: JsonObject): Array<{ manager: string; operation: string; subresource?: string; fields: string[] }> {
  return [...readManagedFields(obj).values()].map(({ entry: e, set }) => ({
    manager: e.manager,
    operation: e.operation,
    ...(e.subresource ? { subresource: e.subresource } : {}),
    fields: [...set].map(formatPath).sort(),
  }));
}

// ---- internals ----------------------------------------------------------------------

interface Managed {
  entry: ManagedFieldsEntry;
  set: FieldSet;
  /** The set changed since it was read, so fieldsV1 must be re-encoded. */
  dirty?: boolean;
}

function disown(m: Managed, path: string): void {
  if (m.set.delete(path)) m.dirty = true;
}
type Managers = Map<string, Managed>;

function managerKey(manager: string, operation: string, subresource?: string): string {
  return JSON.stringify([manager, operation, subresource ?? '']);
}

function entry(manager: string, operation: 'Apply' | 'Update', apiVersion: string, time: string, set: FieldSet, subresource?: string): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(set),
    ...(subresource ? { subresource } : {}),
  };
}

function readManagedFields(obj: JsonObject): Managers {
  const raw = isObject(obj.metadata) ? obj.metadata.managedFields : undefined;
  return decodeManagers(raw, false);
}

/** Decodes managedFields; stored entries that do not parse are dropped (Kubernetes resets
 * broken managed fields rather than failing every write), supplied ones throw. */
function decodeManagers(raw: JsonValue | undefined, strict: boolean): Managers {
  const managers: Managers = new Map();
  if (!Array.isArray(raw)) return managers;
  for (const item of raw) {
    try {
      if (!isObject(item)) throw new Error('an entry is not an object');
      const { manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource } = item;
      if (typeof manager !== 'string') throw new Error('an entry has no manager');
      if (operation !== 'Apply' && operation !== 'Update') throw new Error(`entry of ${manager}: operation must be Apply or Update`);
      if (fieldsType !== undefined && fieldsType !== 'FieldsV1') throw new Error(`entry of ${manager}: fieldsType must be FieldsV1`);
      const set = fromFieldsV1(fieldsV1 ?? {});
      const sub = typeof subresource === 'string' && subresource !== '' ? subresource : undefined;
      const e: ManagedFieldsEntry = {
        manager,
        operation,
        apiVersion: typeof apiVersion === 'string' ? apiVersion : '',
        ...(typeof time === 'string' ? { time } : {}),
        fieldsType: 'FieldsV1',
        fieldsV1: deepClone((fieldsV1 ?? {}) as JsonValue) as JsonObject,
        ...(sub ? { subresource: sub } : {}),
      };
      managers.set(managerKey(manager, operation, sub), { entry: e, set });
    } catch (err) {
      if (strict) throw err;
    }
  }
  return managers;
}

function encodeManagers(managers: Managers): ManagedFieldsEntry[] {
  return [...managers.values()].filter((m) => m.set.size > 0).map((m) => (m.dirty ? { ...m.entry, fieldsV1: toFieldsV1(m.set) } : m.entry));
}

function setManagedFields(obj: JsonObject, entries: ManagedFieldsEntry[]): void {
  const metadata = isObject(obj.metadata) ? obj.metadata : (obj.metadata = {});
  if (entries.length === 0) delete metadata.managedFields;
  else metadata.managedFields = entries as unknown as JsonValue[];
}

function withoutManagedFields(obj: JsonObject): JsonObject {
  const copy = deepClone(obj);
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/** Fields nobody owns: identity and bookkeeping set by the server, and status on the main
 * resource (or everything but status on the status subresource), as Kubernetes resets them. */
const SERVER_METADATA = new Set(
  ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields'].map(
    (f) => `f:${f}`,
  ),
);

function filterOwned(paths: Iterable<string>, subresource?: 'status'): FieldSet {
  const out: FieldSet = new Set();
  for (const p of paths) {
    // Only the first two elements matter; avoid splitting the whole path.
    const first = p.indexOf('\u0000');
    const top = first < 0 ? p : p.slice(0, first);
    const next = first < 0 ? -1 : p.indexOf('\u0000', first + 1);
    const second = first < 0 ? undefined : p.slice(first + 1, next < 0 ? undefined : next);
    if (top === 'f:apiVersion' || top === 'f:kind') continue;
    if (top === 'f:metadata' && second !== undefined && SERVER_METADATA.has(second)) continue;
    if ((subresource === 'status') !== (top === 'f:status')) continue;
    out.add(p);
  }
  return out;
}

function changedPaths(before: Map<string, FieldEntry>, after: Map<string, FieldEntry>): FieldSet {
  const changed: FieldSet = new Set();
  for (const [p, e] of after) {
    const old = before.get(p);
    if (!old) changed.add(p);
    else if (e.type === 'leaf' && !deepEqual(old.value, e.value)) changed.add(p);
  }
  return changed;
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && [...a].every((p) => b.has(p));
}

function timestamp(now: Date | string): string {
  const d = typeof now === 'string' ? new Date(now) : now;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function validateApplied(options: ApplyOptions): void {
  const { applied, kind, manager } = options;
  if (manager === '') throw new PatchError('BadRequest', `apply ${kind}: fieldManager is required for server-side apply`);
  if (typeof applied.apiVersion !== 'string' || applied.apiVersion === '') {
    throw new PatchError('BadRequest', `apply ${kind}: the applied configuration has no apiVersion`, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'apiVersion' }]);
  }
  if (applied.kind !== kind) {
    throw new PatchError('BadRequest', `apply ${kind}: the applied configuration is of kind ${JSON.stringify(applied.kind ?? '')}, not ${kind}`, [
      { reason: 'FieldValueInvalid', message: `must be ${kind}`, field: 'kind' },
    ]);
  }
  if (isObject(applied.metadata) && applied.metadata.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw new PatchError('BadRequest', `apply ${kind}: metadata.managedFields must not be set in an applied configuration`, [
      { reason: 'FieldValueForbidden', message: 'must be unset', field: 'metadata.managedFields' },
    ]);
  }
}

/** Copies the applied configuration with nulls dropped, keyed-list defaults filled in and
 * the part the endpoint ignores (status, or everything but status) left out. */
function normalizeApplied(kind: string, applied: JsonObject, subresource?: 'status'): JsonObject {
  const fill = (value: JsonValue, schemaPath: string): JsonValue | undefined => {
    if (value === null) return undefined;
    if (isObject(value)) {
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(value)) {
        const f = fill(v, childPath(schemaPath, k));
        if (f !== undefined) out[k] = f;
      }
      return out;
    }
    if (Array.isArray(value)) {
      const defaults = fieldMeta(kind, schemaPath)?.itemDefaults;
      return value.map((item) => {
        const filled = fill(item, itemPath(schemaPath)) ?? null;
        return defaults && isObject(filled) ? { ...defaults, ...filled } : filled;
      });
    }
    return value;
  };
  const config = fill(applied, '') as JsonObject;
  if (subresource === 'status') {
    for (const k of Object.keys(config)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) delete config[k];
  } else {
    delete config.status;
  }
  return config;
}

/** Merges an applied configuration into the live object: maps by key, keyed lists by their
 * SSA keys (live-only elements keep their place), sets as a union, everything else replaced.
 * `live` is the caller's private copy and is reused; applied values are copied in. */
function mergeApplied(kind: string, live: JsonValue | undefined, applied: JsonValue, schemaPath: string): JsonValue {
  if (isObject(applied) && isObject(live)) {
    for (const [k, v] of Object.entries(applied)) live[k] = mergeApplied(kind, live[k], v, childPath(schemaPath, k));
    return live;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const meta = fieldMeta(kind, schemaPath);
    if (meta?.listType === 'set') return [...live, ...applied.filter((v) => !live.some((l) => deepEqual(l, v))).map((v) => deepClone(v))];
    if (meta?.listType === 'map') {
      const keyOf = (item: JsonValue, i: number): string => keyElement(item, meta.listMapKeys ?? [], meta.itemDefaults, i, schemaPath, false);
      const liveKeys = live.map(keyOf);
      const appliedKeys = new Set(applied.map(keyOf));
      const out: JsonValue[] = [];
      let next = 0; // next live element not yet placed
      const flushLiveOnlyBefore = (limit: number): void => {
        for (; next < limit; next++) if (!appliedKeys.has(liveKeys[next]!)) out.push(live[next]!);
      };
      applied.forEach((item, i) => {
        const at = liveKeys.indexOf(keyOf(item, i));
        if (at >= 0) {
          flushLiveOnlyBefore(at);
          out.push(mergeApplied(kind, live[at], item, itemPath(schemaPath)));
        } else {
          out.push(deepClone(item));
        }
      });
      flushLiveOnlyBefore(live.length);
      return out;
    }
  }
  return deepClone(applied);
}

/** Removes (in place) the field or list element at `path`, then any map it leaves empty
 * (below the top level), so dropping the last label does not leave `labels: {}` behind. */
function removePath(kind: string, out: JsonObject, path: string[]): void {
  const trail: Array<{ container: JsonObject | JsonValue[]; at: string | number }> = [];
  let cur: JsonValue = out;
  let schemaPath = '';
  for (const pe of path) {
    const body = pe.slice(2);
    if (pe.startsWith('f:')) {
      if (!isObject(cur) || !(body in cur)) return;
      trail.push({ container: cur, at: body });
      schemaPath = childPath(schemaPath, body);
      cur = cur[body]!;
      continue;
    }
    if (!Array.isArray(cur)) return;
    const meta = fieldMeta(kind, schemaPath);
    const list: JsonValue[] = cur;
    const index = pe.startsWith('i:')
      ? Number(body)
      : pe.startsWith('v:')
        ? list.findIndex((v) => deepEqual(v, JSON.parse(body) as JsonValue))
        : list.findIndex((v, i) => keyElement(v, meta?.listMapKeys ?? [], meta?.itemDefaults, i, schemaPath, false) === pe);
    if (index < 0 || index >= list.length) return;
    trail.push({ container: list, at: index });
    schemaPath = itemPath(schemaPath);
    cur = list[index]!;
  }
  for (let i = trail.length - 1; i >= 0; i--) {
    const { container, at } = trail[i]!;
    if (Array.isArray(container)) container.splice(at as number, 1);
    else delete container[at as string];
    // Keep going up only while that left an empty map that is not a top-level field.
    if (i === 0) break;
    const parent = trail[i - 1]!;
    const left = Array.isArray(parent.container) ? parent.container[parent.at as number] : parent.container[parent.at as string];
    if (i - 1 === 0 || !isObject(left) || Object.keys(left).length > 0) break;
  }
}

/** True for `…k:{"name":"web"}, f:name`: a key field of a keyed list element. */
function isKeyField(elements: string[]): boolean {
  const last = elements[elements.length - 1];
  const parent = elements[elements.length - 2];
  if (!last?.startsWith('f:') || !parent?.startsWith('k:')) return false;
  return Object.hasOwn(JSON.parse(parent.slice(2)) as JsonObject, last.slice(2));
}

function conflictMessage(conflicts: FieldConflict[]): string {
  const byManager = new Map<string, FieldConflict[]>();
  for (const c of conflicts) {
    const key = `${JSON.stringify(c.manager)} using ${c.apiVersion}`;
    byManager.set(key, [...(byManager.get(key) ?? []), c]);
  }
  const n = conflicts.length;
  const parts = [...byManager].map(([who, cs]) =>
    cs.length === 1 ? `conflict with ${who}: ${cs[0]!.field}` : `conflicts with ${who}:\n${cs.map((c) => `- ${c.field}`).join('\n')}`,
  );
  return `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`;
}
