// The one place the request path turns a PATCH body into a new object and records who
// changed what. The algorithms live in apiserver/patch (strategic merge, JSON merge, JSON
// patch, server-side apply with managedFields); this file adapts them to the REST layer
// and turns their PatchErrors into Status errors.
import {
  PatchError, applyPatchByContentType, decodeApplyBody, recordUpdate, serverSideApply,
  type JsonObject,
} from './patch/index.js';
import type { KubeObject } from './resources.js';
import { ApiError } from './status.js';

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

/** Runs `fn`, turning a PatchError into the ApiError (Status) it stands for. */
export function asApiError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PatchError) {
      throw new ApiError(err.code, err.reason, err.message, err.causes.length ? { causes: err.causes } : undefined);
    }
    throw err;
  }
}

/** Applies a strategic merge, JSON merge or JSON patch body to `current`. */
export function applyPatch(contentType: string, current: KubeObject, body: Buffer | string, kind: string): KubeObject {
  return asApiError(() => applyPatchByContentType(contentType, current as JsonObject, typeof body === 'string' ? body : new Uint8Array(body), { kind }).object as KubeObject);
}

/** Decodes an apply-patch+yaml body (YAML or JSON) into one object. */
export function decodeApplied(body: Buffer): KubeObject {
  return asApiError(() => decodeApplyBody(new Uint8Array(body)) as KubeObject);
}

/** Server-side apply of `applied` by `manager` onto `live` (absent: create). 409 on conflicts without force. */
export function applyConfiguration(live: KubeObject | undefined, applied: KubeObject, manager: string, force: boolean, kind: string, subresource?: string): KubeObject {
  return asApiError(() => serverSideApply({
    live: live as JsonObject | undefined,
    applied: applied as JsonObject,
    manager,
    force,
    kind,
    now: new Date(),
    subresource: subresource === 'status' ? 'status' : undefined,
  }).object as KubeObject);
}

/** Records a non-apply write in metadata.managedFields: `manager` owns what it changed. */
export function recordWrite(old: KubeObject | undefined, next: KubeObject, manager: string, kind: string, subresource?: string): KubeObject {
  return asApiError(() => recordUpdate({
    old: old as JsonObject | undefined,
    new: next as JsonObject,
    manager,
    kind,
    now: new Date(),
    subresource: subresource === 'status' ? 'status' : undefined,
  }) as KubeObject);
}
