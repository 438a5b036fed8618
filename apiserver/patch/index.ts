// Public surface of the patch engines. The API server calls applyPatchByContentType with
// the request's Content-Type; each engine is a pure function over JSON values.

import { load as loadYaml } from 'js-yaml';
import { PatchError, badPatch } from './errors.js';
import { mergePatchObject } from './json-merge-patch.js';
import { applyJsonPatch } from './json-patch.js';
import { strategicMergePatch } from './strategic-merge-patch.js';
import { serverSideApply } from './server-side-apply.js';
import { isObject, type JsonObject, type JsonValue } from './json.js';

export { PatchError, badPatch, type PatchErrorCause, type PatchErrorReason } from './errors.js';
export { applyMergePatch, mergePatchObject } from './json-merge-patch.js';
export { applyJsonPatch, type JsonPatchOperation } from './json-patch.js';
export { strategicMergePatch } from './strategic-merge-patch.js';
export { PATCH_SCHEMA, fieldMeta, hasPatchSchema, type FieldMeta } from './merge-keys.js';
export {
  serverSideApply,
  recordUpdate,
  managedFieldSets,
  ApplyConflictError,
  type ApplyOptions,
  type ApplyResult,
  type UpdateOptions,
  type FieldConflict,
  type ManagedFieldsEntry,
} from './server-side-apply.js';
export { toFieldsV1, fromFieldsV1, formatPath, collectFields, type FieldSet } from './field-set.js';
export { deepClone, deepEqual, isObject, type JsonObject, type JsonValue, type JsonPrimitive } from './json.js';

/** The patch media types Kubernetes defines, as sent in Content-Type. */
export const PATCH_CONTENT_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** What the server knows about the request beyond the body. */
export interface PatchContext {
  /** Kind of the target object (`Deployment`), selects merge keys. */
  kind: string;
  /** fieldManager query parameter; required for apply patches. */
  manager?: string;
  /** force query parameter of server-side apply. */
  force?: boolean;
  /** Clock for managedFields timestamps (apply only); defaults to the current time. */
  now?: Date | string;
  /** `status` when the request targets the status subresource. */
  subresource?: 'status';
}

/** The patched object; `created` is true when an apply patch created it (answer 201). */
export interface PatchOutcome {
  object: JsonObject;
  created: boolean;
}

/** Applies `body` (raw text/bytes, or already-parsed JSON) to `live` by the patch type named
 * in `contentType` (parameters such as `; charset=utf-8` are ignored). Unknown types are a
 * 415; undecodable bodies a 400; an apply conflict a 409 (ApplyConflictError). An apply patch
 * returns the object with managedFields maintained; for merge, JSON and strategic patches
 * the server calls recordUpdate once the result is defaulted and valid. */
export function applyPatchByContentType(
  contentType: string | undefined,
  live: JsonObject | undefined,
  body: string | Uint8Array | JsonValue,
  ctx: PatchContext,
): PatchOutcome {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === PATCH_CONTENT_TYPES.apply) {
    return serverSideApply({
      live,
      applied: decodeApplyBody(body),
      manager: ctx.manager ?? '',
      force: ctx.force ?? false,
      kind: ctx.kind,
      now: ctx.now ?? new Date(),
      ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
    });
  }
  const known = type === PATCH_CONTENT_TYPES.merge || type === PATCH_CONTENT_TYPES.json || type === PATCH_CONTENT_TYPES.strategic;
  if (known && !live) throw new PatchError('NotFound', `patch ${ctx.kind}: the object does not exist (only an apply patch creates one)`);
  switch (type) {
    case PATCH_CONTENT_TYPES.merge:
      return { object: mergePatchObject(live!, decodeJson(body, type)), created: false };
    case PATCH_CONTENT_TYPES.json:
      return { object: applyJsonPatch(live!, decodeJson(body, type)), created: false };
    case PATCH_CONTENT_TYPES.strategic:
      return { object: strategicMergePatch(ctx.kind, live!, decodeJson(body, type)), created: false };
    default:
      throw new PatchError(
        'UnsupportedMediaType',
        `patch ${ctx.kind}: unsupported patch type ${JSON.stringify(contentType ?? '')}; use one of ${Object.values(PATCH_CONTENT_TYPES).join(', ')}`,
      );
  }
}

/** Parses a JSON request body; a value already parsed passes through. */
export function decodeJson(body: string | Uint8Array | JsonValue, type: string): JsonValue {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return body;
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new PatchError('BadRequest', `decode ${type} body: ${(err as Error).message}`, [], { cause: err });
  }
}

/** Parses an apply-patch+yaml body (YAML, of which JSON is a subset) into one object. */
export function decodeApplyBody(body: string | Uint8Array | JsonValue): JsonObject {
  let value: unknown = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    try {
      value = loadYaml(text);
    } catch (err) {
      throw new PatchError('BadRequest', `decode ${PATCH_CONTENT_TYPES.apply} body: ${(err as Error).message}`, [], { cause: err });
    }
  }
  if (!isObject(value)) throw badPatch(`decode ${PATCH_CONTENT_TYPES.apply} body: expected one object`);
  return value;
}
