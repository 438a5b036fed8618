// What a caller may do. Admins (group system:masters) may do everything; anonymous callers
// may read only the health and version endpoints, as kube's default RBAC allows. Other
// identities (node agents, later) are decided by the pluggable authorizers.
import type { UserInfo } from './authn.js';

/** The request as authorization sees it (kube's authorizer.Attributes, reduced). */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  path: string;
  /** Set for resource requests. */
  resource?: { group: string; resource: string; subresource?: string; namespace?: string; name?: string };
}

export type Decision = 'allow' | 'deny' | 'no-opinion';

/** Decides one request, or has no opinion so the next authorizer decides. */
export interface Authorizer {
  authorize(attrs: RequestAttributes): Decision;
}

/** Paths kube's system:public-info-viewer role opens to everyone, plus the CA bundle joining nodes verify. */
export const PUBLIC_PATHS = new Set(['/version', '/readyz', '/livez', '/healthz', '/cacerts']);

/** system:masters may do anything (kube hard-wires this group too). */
export const mastersAuthorizer: Authorizer = {
  authorize: (a) => (a.user.groups.includes('system:masters') ? 'allow' : 'no-opinion'),
};

/** GET of the public health/version paths, for every caller. */
export const publicInfoAuthorizer: Authorizer = {
  authorize: (a) => (a.verb === 'get' && PUBLIC_PATHS.has(a.path) ? 'allow' : 'no-opinion'),
};

/** The first authorizer with an opinion decides; nobody having one means deny. */
export function authorize(chain: Authorizer[], attrs: RequestAttributes): boolean {
  for (const a of chain) {
    const d = a.authorize(attrs);
    if (d !== 'no-opinion') return d === 'allow';
  }
  return false;
}
