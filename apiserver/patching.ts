// The one place the request path turns a PATCH body into a new object. The patch
// algorithms themselves live in apiserver/patch (strategic merge, JSON merge, JSON patch,
// server-side apply); this file only picks one by Content-Type.
import fastJsonPatch from 'fast-json-patch';
import type { KubeObject, ResourceInfo } from './resources.js';
import { ApiError, badRequest } from './status.js';

export type PatchType = 'strategic' | 'merge' | 'json' | 'apply';

const CONTENT_TYPES: Record<string, PatchType> = {
  'application/strategic-merge-patch+json': 'strategic',
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
};

/** The patch type a Content-Type names; 415 for anything else, listing what is accepted. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const t = CONTENT_TYPES[base];
  if (!t) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(CONTENT_TYPES).join(', ')}`);
  }
  return t;
}

/** RFC 7386: maps merge recursively, null deletes, everything else replaces. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/** Applies a JSON patch (RFC 6902); a failed `test` or a bad path is a 422 / 400 as in kube. */
export function jsonPatch(target: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw badRequest('json patch body must be a JSON array of operations');
  try {
    return fastJsonPatch.applyPatch(structuredClone(target), ops as fastJsonPatch.Operation[], true, false).newDocument as KubeObject;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === 'TEST_OPERATION_FAILED') throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value failed`);
    throw badRequest(`apply json patch: ${String(e.message ?? err).split('\n')[0]}`);
  }
}

/**
 * Applies a strategic merge, JSON merge or JSON patch to `current` and returns the new object.
 * (Server-side apply is handled by the caller: it needs field ownership, not just a merge.)
 */
export function applyPatch(type: Exclude<PatchType, 'apply'>, current: KubeObject, patch: unknown, _info: ResourceInfo): KubeObject {
  if (type === 'json') return jsonPatch(current, patch);
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest(`${type} patch body must be a JSON object`);
  // Until the strategic merge patch lands, lists are replaced as in a JSON merge patch.
  return jsonMergePatch(current, patch) as KubeObject;
}
