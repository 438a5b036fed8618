// Patch failures carry the Kubernetes Status reason and HTTP code they map to, so the
// API server turns them into a Status object without guessing.

/** Reasons a patch can fail with, as Kubernetes spells them in `Status.reason`. */
export type PatchErrorReason = 'BadRequest' | 'Invalid' | 'Conflict' | 'UnsupportedMediaType' | 'NotFound';

/** One field-level cause, as in `Status.details.causes`. */
export interface PatchErrorCause {
  reason: string;
  message: string;
  field?: string;
}

const CODES: Record<PatchErrorReason, number> = {
  BadRequest: 400,
  Invalid: 422,
  Conflict: 409,
  UnsupportedMediaType: 415,
  NotFound: 404,
};

/** A patch that cannot be applied; `code` and `reason` are what the client must see. */
export class PatchError extends Error {
  readonly reason: PatchErrorReason;
  readonly code: number;
  readonly causes: PatchErrorCause[];

  constructor(reason: PatchErrorReason, message: string, causes: PatchErrorCause[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PatchError';
    this.reason = reason;
    this.code = CODES[reason];
    this.causes = causes;
  }
}

/** Shorthand for the common 400: the patch document itself is malformed. */
export function badPatch(message: string): PatchError {
  return new PatchError('BadRequest', message);
}
