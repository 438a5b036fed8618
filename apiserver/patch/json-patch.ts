// JSON patch (RFC 6902): an ordered list of add/remove/replace/move/copy/test operations
// on JSON pointers. Sent by `kubectl patch --type=json`, by @kubernetes/client-node's typed
// patch calls (its default), and by kubectl's SSA upgrade path (a `test` on
// metadata.resourceVersion, then a `replace` of metadata.managedFields).
// fast-json-patch does the work; this file turns its errors into ones that name the
// failing operation and path.

import jsonpatch from 'fast-json-patch';
import { PatchError, badPatch } from './errors.js';
import { deepClone, isObject, type JsonObject } from './json.js';

/** One RFC 6902 operation as it arrives on the wire. */
export type JsonPatchOperation = jsonpatch.Operation;

/** Applies an RFC 6902 patch to `live`; returns a new object. A malformed patch is a 400
 * (BadRequest); an operation that cannot apply (missing path, failed test) is a 422
 * (Invalid), as kube-apiserver answers. */
export function applyJsonPatch(live: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch)) throw badPatch('apply json patch: the patch must be a JSON array of operations');
  patch.forEach((op, i) => {
    if (!isObject(op)) throw badPatch(`apply json patch: operation ${i} is not an object`);
  });
  const ops = patch as unknown as JsonPatchOperation[];
  // Operations run one by one on a private copy so a failure names its own index (the
  // library reports index 0 for validation failures inside applyPatch).
  let doc: unknown = deepClone(live);
  for (const [i, op] of ops.entries()) {
    try {
      // validate=true, mutate the private copy, banPrototypeModifications=true.
      doc = jsonpatch.applyOperation(doc, op, true, true, true, i).newDocument;
    } catch (err) {
      if (err instanceof jsonpatch.JsonPatchError) throw describe(err, i, op, VALIDATION.has(err.name) ? 'BadRequest' : 'Invalid');
      throw err;
    }
  }
  if (!isObject(doc)) throw badPatch('apply json patch: the result is not a JSON object');
  return doc;
}

// Errors in the operation itself (not in how it meets the object) are a 400.
const VALIDATION = new Set([
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

function describe(err: InstanceType<typeof jsonpatch.JsonPatchError>, index: number, op: JsonPatchOperation, reason: 'BadRequest' | 'Invalid'): PatchError {
  const { op: name, path, from } = op as { op?: unknown; path?: unknown; from?: unknown };
  const where = `operation ${index} (${String(name)} ${String(path)}${from !== undefined ? ` from ${String(from)}` : ''})`;
  const why = WHY[err.name] ?? err.message;
  return new PatchError(
    reason,
    `apply json patch ${where}: ${why}`,
    [{ reason: err.name, message: why, ...(typeof path === 'string' ? { field: path } : {}) }],
    { cause: err },
  );
}

// The library's names are stable; its messages are long. Say what went wrong in our words.
const WHY: Record<string, string> = {
  TEST_OPERATION_FAILED: 'test failed: the value at the path differs',
  OPERATION_PATH_UNRESOLVABLE: 'path does not exist in the object',
  OPERATION_FROM_UNRESOLVABLE: '"from" path does not exist in the object',
  OPERATION_PATH_CANNOT_ADD: 'cannot add at this path (its parent does not exist)',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'array index must be an unsigned integer or "-"',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'array index is past the end of the list',
  OPERATION_OP_INVALID: 'op must be one of add, remove, replace, move, copy, test',
  OPERATION_PATH_INVALID: 'path must be a JSON pointer starting with "/"',
  OPERATION_FROM_REQUIRED: '"from" is required for move and copy',
  OPERATION_VALUE_REQUIRED: '"value" is required for add, replace and test',
  OPERATION_NOT_AN_OBJECT: 'operation is not an object',
};
