// JSON merge patch (RFC 7386): objects merge key by key, `null` deletes a key, anything
// else (arrays included) replaces the target value whole. Sent by `kubectl scale`, `label`,
// `annotate`, `patch --type=merge`, and by client-side apply for kinds kubectl has no Go
// type for.

import { badPatch } from './errors.js';
import { deepClone, isObject, type JsonObject, type JsonValue } from './json.js';

/** Applies an RFC 7386 merge patch to `target`; returns a new value, inputs untouched. */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  // One copy up front, then merge in place: cloning at every level would be quadratic.
  return mergeInto(deepClone(target), patch);
}

function mergeInto(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return deepClone(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergeInto(out[key], value);
  }
  return out;
}

/** Merge patch for a whole Kubernetes object: the body must be a JSON object. */
export function mergePatchObject(live: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) throw badPatch('apply merge patch: the patch must be a JSON object');
  return applyMergePatch(live, patch) as JsonObject;
}
