// Decoding checks kube's strict JSON decoder does: a value of the wrong JSON type is a
// 400, and unknown fields are rejected, warned about or dropped per `fieldValidation`.
// The schema walk itself is api/'s (the same schemas /openapi/v3 serves).
import { checkSchema } from '../api/index.js';
import type { KubeObject, ResourceInfo } from './resources.js';
import { badRequest } from './status.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Reads the `fieldValidation` query parameter; kube's default is Warn. */
export function parseFieldValidation(v: string | undefined): FieldValidation {
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation must be one of Strict, Warn, Ignore; got "${v}"`);
}

/**
 * Checks `obj` as the body of a write to `info` (or to `definition`, e.g. a Scale).
 * Resolves to the warnings to send (Warn mode); throws 400 for type errors and, in
 * Strict mode, for unknown fields.
 */
export function checkFields(obj: KubeObject, info: ResourceInfo | { definition: string }, mode: FieldValidation): string[] {
  const problems = checkSchema(obj, info);
  const typeErrors = problems.filter((p) => p.kind === 'type');
  if (typeErrors.length) {
    throw badRequest(`decode request body: ${typeErrors.map((p) => p.message).join('; ')}`,
      typeErrors.map((p) => ({ reason: 'FieldValueInvalid', field: p.field, message: p.message })));
  }
  const unknownProblems = problems.filter((p) => p.kind === 'unknown');
  const unknown = unknownProblems.map((p) => p.message);
  if (mode === 'Strict' && unknown.length) {
    throw badRequest(`strict decoding error: ${unknown.join(', ')}`,
      unknown.map((message) => ({ reason: 'FieldValueInvalid', message })));
  }
  // Kube decodes into typed structs, so unknown fields are dropped, never stored.
  for (const p of unknownProblems) dropField(obj, p.field);
  return mode === 'Warn' ? unknown : [];
}

/** Deletes the field at a path like `spec.template.spec.containers[0].imagee`. */
function dropField(obj: unknown, path: string): void {
  const segments = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cursor: unknown = obj;
  for (let i = 0; i < segments.length - 1 && cursor && typeof cursor === 'object'; i++) {
    const seg = segments[i]!;
    cursor = seg.startsWith('[') ? (cursor as unknown[])[Number(seg.slice(1, -1))] : (cursor as Record<string, unknown>)[seg];
  }
  const last = segments[segments.length - 1];
  if (last && cursor && typeof cursor === 'object' && !Array.isArray(cursor)) delete (cursor as Record<string, unknown>)[last];
}
