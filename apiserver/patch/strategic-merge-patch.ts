// Strategic merge patch: the server side of `kubectl apply` (client-side), `edit`, `set`,
// `rollout restart|pause` and `patch` (its default type).
//
// It is JSON merge patch plus knowledge of lists. A map merges key by key and `null`
// deletes; a list tagged `merge` in merge-keys.ts merges element by element, matched on its
// merge key, instead of being replaced. Directives let a client say more:
//
//   {"$patch": "delete", "name": "A"}     in a merging list: drop the element with name A
//   {"$patch": "replace", ...}            on a map or in a list: replace instead of merge
//   "$setElementOrder/env": [{"name":..}] the final order of the merged list
//   "$retainKeys": ["type"]               clear the keys of this map not listed (union types)
//   "$deleteFromPrimitiveList/finalizers": ["a"]  remove values from a merging scalar list
//
// Behaviour follows apimachinery's strategicpatch (StrategicMergeMapPatch). Where it drops
// directives on values that are new to the object, Skiff strips the directives and keeps
// the value, which is what the client meant.

import { PatchError, badPatch } from './errors.js';
import { childPath, fieldMeta, hasPatchSchema, itemPath, type FieldMeta } from './merge-keys.js';
import { deepClone, deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_LIST = '$deleteFromPrimitiveList/';

/** Applies a strategic merge patch to `live` using the merge keys of `kind`; returns a new
 * object. Throws PatchError: 415 for kinds without patch metadata (as Kubernetes does for
 * custom resources), 400 for malformed directives, 422 for `$retainKeys` violations. */
export function strategicMergePatch(kind: string, live: JsonObject, patch: unknown): JsonObject {
  if (!hasPatchSchema(kind)) {
    throw new PatchError(
      'UnsupportedMediaType',
      `apply strategic merge patch to ${kind}: not supported for this kind; use --type=merge or --type=json`,
    );
  }
  if (!isObject(patch)) throw badPatch('apply strategic merge patch: the patch must be a JSON object');
  return mergeMap(kind, deepClone(live), deepClone(patch), '');
}

/** Merges `patch` into `original` (both private copies, mutated) and returns the result;
 * `$patch: delete` yields an empty map, as in apimachinery. */
function mergeMap(kind: string, original: JsonObject, patch: JsonObject, path: string): JsonObject {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    delete patch[PATCH];
    if (directive === 'replace') return fromPatch(kind, patch, path) as JsonObject;
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw badPatch(`apply strategic merge patch at ${show(path)}: unknown $patch directive ${JSON.stringify(directive)}`);
  }

  applyRetainKeys(original, patch, path);

  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const field = key.slice(SET_ORDER.length);
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw badPatch(`apply strategic merge patch at ${show(childPath(path, field))}: ${key} must be a list`);
    const fieldPath = childPath(path, field);
    const meta = fieldMeta(kind, fieldPath);
    if (!isMergingList(meta)) continue; // ordering only means something for merging lists
    const mergeKey = meta.patchMergeKey;
    if (mergeKey !== undefined && !order.every((o) => isObject(o) && o[mergeKey] !== undefined)) {
      throw badPatch(`apply strategic merge patch at ${show(fieldPath)}: every ${key} entry needs the merge key ${mergeKey}`);
    }
    const before = original[field];
    const incoming = patch[field];
    delete patch[field];
    let merged: JsonValue[];
    if (Array.isArray(before) && Array.isArray(incoming)) merged = mergeList(kind, before, incoming, fieldPath);
    else if (Array.isArray(before) && incoming === undefined) merged = before;
    else if (incoming === undefined) continue;
    else if (incoming === null) {
      delete original[field];
      continue;
    } else if (Array.isArray(incoming)) merged = fromPatch(kind, incoming, fieldPath) as JsonValue[];
    else {
      const fresh = fromPatch(kind, incoming, fieldPath);
      if (fresh === undefined) delete original[field];
      else original[field] = fresh;
      continue;
    }
    original[field] = orderBy(merged, order, Array.isArray(before) ? before : [], meta.patchMergeKey, fieldPath);
  }

  // Deletions from scalar lists first, so a value removed and re-added in one patch stays.
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(DELETE_FROM_LIST)) continue;
    const field = key.slice(DELETE_FROM_LIST.length);
    const values = patch[key];
    delete patch[key];
    if (!Array.isArray(values)) throw badPatch(`apply strategic merge patch at ${show(childPath(path, field))}: ${key} must be a list`);
    const current = original[field];
    if (Array.isArray(current)) original[field] = current.filter((v) => !values.some((d) => deepEqual(d, v)));
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw badPatch(`apply strategic merge patch at ${show(path)}: unknown directive ${key}`);
    const fieldPath = childPath(path, key);
    if (value === null) {
      delete original[key];
      continue;
    }
    const current = original[key];
    const meta = fieldMeta(kind, fieldPath);
    if (isObject(current) && isObject(value) && meta?.patchStrategy !== 'replace') {
      original[key] = mergeMap(kind, current, value, fieldPath);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      original[key] = mergeList(kind, current, value, fieldPath);
    } else {
      const fresh = fromPatch(kind, value, fieldPath);
      if (fresh === undefined) delete original[key];
      else original[key] = fresh;
    }
  }
  return original;
}

/** `$retainKeys`: every key of `original` not listed goes; every non-null key the patch sets
 * must be listed (apimachinery's ErrBadPatchFormatForRetainKeys, a 422 there too). */
function applyRetainKeys(original: JsonObject, patch: JsonObject, path: string): void {
  const retain = patch[RETAIN_KEYS];
  if (retain === undefined) return;
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
    throw badPatch(`apply strategic merge patch at ${show(path)}: $retainKeys must be a list of field names`);
  }
  const keep = new Set(retain as string[]);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith('$')) continue;
    if (!keep.has(key)) {
      throw new PatchError('Invalid', `apply strategic merge patch at ${show(path)}: field ${key} is set but not listed in $retainKeys`, [
        { reason: 'FieldValueInvalid', message: 'not listed in $retainKeys', field: childPath(path, key) },
      ]);
    }
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

/** Merges two lists at `path`: by merge key, as a set, or (no strategy) replaced whole. */
function mergeList(kind: string, original: JsonValue[], patch: JsonValue[], path: string): JsonValue[] {
  const meta = fieldMeta(kind, path);
  if (!isMergingList(meta)) return fromPatch(kind, patch, path) as JsonValue[];
  const key = meta.patchMergeKey;
  if (key === undefined) {
    // A set of scalars (finalizers, podCIDRs): union, patch order first for new values.
    const merged = [...original];
    for (const v of patch) if (!merged.some((m) => deepEqual(m, v))) merged.push(v);
    return orderBy(merged, patch, original, undefined, path);
  }

  let base = original;
  const elements: JsonObject[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isObject(item)) throw badPatch(`apply strategic merge patch at ${show(path)}: list elements must be objects keyed by ${key}`);
    const directive = item[PATCH];
    if (directive === undefined) {
      elements.push(item);
    } else if (directive === 'delete') {
      if (!(key in item)) throw badPatch(`apply strategic merge patch at ${show(path)}: $patch: delete needs the merge key ${key}`);
      base = base.filter((o) => !(isObject(o) && deepEqual(o[key], item[key])));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive !== 'merge') {
      throw badPatch(`apply strategic merge patch at ${show(path)}: unknown $patch directive ${JSON.stringify(directive)}`);
    }
  }
  if (replace) return fromPatch(kind, elements, path) as JsonValue[];

  const merged = [...base];
  const elemPath = itemPath(path);
  for (const item of elements) {
    if (!(key in item)) throw badPatch(`apply strategic merge patch at ${show(path)}: element has no merge key ${key}: ${JSON.stringify(item)}`);
    const at = merged.findIndex((o) => isObject(o) && deepEqual(o[key], item[key]));
    if (at >= 0) merged[at] = mergeMap(kind, merged[at] as JsonObject, item, elemPath);
    else merged.push(fromPatch(kind, item, elemPath) as JsonObject);
  }
  return orderBy(merged, elements, base, key, path);
}

/** Orders a merged list: elements named in `order` come in that order; elements only the
 * server had keep their place relative to them (apimachinery's normalizeElementOrder). */
function orderBy(merged: JsonValue[], order: JsonValue[], server: JsonValue[], key: string | undefined, path: string): JsonValue[] {
  const id = (v: JsonValue): JsonValue | undefined => {
    if (key === undefined) return v;
    if (!isObject(v)) throw badPatch(`apply strategic merge patch at ${show(path)}: ordering lists must hold objects keyed by ${key}`);
    return v[key];
  };
  const indexIn = (list: JsonValue[], v: JsonValue): number => {
    const want = id(v);
    return list.findIndex((x) => deepEqual(id(x), want));
  };
  const named: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of merged) (indexIn(order, v) >= 0 ? named : serverOnly).push(v);
  named.sort((a, b) => indexIn(order, a) - indexIn(order, b));
  serverOnly.sort((a, b) => indexIn(server, a) - indexIn(server, b));

  // Insert each server-only element before the first named element that the live list
  // had after it; named elements new to the server go first.
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) out.push(serverOnly[i++]!);
    else if (i >= serverOnly.length) out.push(named[j++]!);
    else {
      const si = indexIn(server, serverOnly[i]!);
      const ni = indexIn(server, named[j]!);
      if (si >= 0 && ni >= 0 && si < ni) out.push(serverOnly[i++]!);
      else out.push(named[j++]!);
    }
  }
  return out;
}

/** A patch value that lands where the object had nothing (or a different type): directives
 * are resolved against an empty value and nulls dropped. Undefined means "drop the field". */
function fromPatch(kind: string, value: JsonValue, path: string): JsonValue | undefined {
  if (isObject(value)) {
    if (value[PATCH] === 'delete') return undefined;
    return mergeMap(kind, {}, value, path);
  }
  if (Array.isArray(value)) {
    const elemPath = itemPath(path);
    const out: JsonValue[] = [];
    for (const item of value) {
      if (isObject(item) && item[PATCH] !== undefined && item[PATCH] !== 'merge') continue;
      const fresh = fromPatch(kind, item, elemPath);
      if (fresh !== undefined) out.push(fresh);
    }
    return out;
  }
  return value;
}

function isMergingList(meta: FieldMeta | undefined): meta is FieldMeta & { patchStrategy: 'merge' | 'merge,retainKeys' } {
  return meta?.patchStrategy === 'merge' || meta?.patchStrategy === 'merge,retainKeys';
}

function show(path: string): string {
  return path === '' ? 'the top level' : path;
}
