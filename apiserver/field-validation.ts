// Decoding checks kube's strict JSON decoder does: a value of the wrong JSON type is a
// 400, and unknown fields are rejected, warned about or dropped per `fieldValidation`.
// The schema walk itself is api/'s (the same schemas /openapi/v3 serves).
import { checkSchema } from '../api/schema.js';
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
  const unknown = problems.filter((p) => p.kind === 'unknown').map((p) => p.message);
  if (!unknown.length || mode === 'Ignore') return [];
  if (mode === 'Strict') {
    throw badRequest(`strict decoding error: ${unknown.join(', ')}`,
      unknown.map((message) => ({ reason: 'FieldValueInvalid', message })));
  }
  return unknown;
}
