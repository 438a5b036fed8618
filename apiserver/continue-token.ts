// Continue tokens for paged lists, in kube's format: base64url of
// {"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<key suffix to resume at>"}.
// Every page is read at the first page's revision, so a paged list is one consistent snapshot.
import { badRequest } from './status.js';

export interface ContinueToken {
  /** The storage revision the first page was read at. */
  rv: number;
  /** Key suffix (relative to the list prefix) to start the next page at. */
  start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

/** Parses a token kubectl passed back; a malformed one is a 400 as in kube. */
export function decodeContinue(text: string): ContinueToken {
  let parsed: { v?: string; rv?: number; start?: string };
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: not base64url-encoded JSON');
  }
  if (parsed.v !== 'meta.k8s.io/v1') throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1 required)');
  if (typeof parsed.rv !== 'number' || parsed.rv <= 0) throw badRequest('continue key is not valid: incorrect encoded start resourceVersion');
  if (typeof parsed.start !== 'string' || parsed.start.includes('..') || parsed.start.startsWith('/')) throw badRequest('continue key is not valid: path traversal not allowed');
  return { rv: parsed.rv, start: parsed.start };
}
