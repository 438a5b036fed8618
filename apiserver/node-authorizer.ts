// What a node agent may do, as kube's Node authorizer plus NodeRestriction admission:
// a node (user `system:node:<name>`, group `system:nodes`) reads what it needs to run pods,
// and writes only its own Node, its own Lease in kube-node-lease, the status of pods bound
// to it, their deletion, and Events. The URL decides what it can (authorizer); the stored
// or submitted object decides what it may (admitNodeWrite, called by the REST layer).
import type { UserInfo } from './authn.js';
import type { Authorizer, RequestAttributes } from './authz.js';
import type { KubeObject, ResourceInfo } from './resources.js';
import { forbidden } from './status.js';

const NODE_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

/** The node a user speaks for, or undefined when it is not a node identity. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_PREFIX)) return undefined;
  return user.name.slice(NODE_PREFIX.length) || undefined;
}

const READ = new Set(['get', 'list', 'watch']);
const READABLE = new Set(['pods', 'nodes', 'services', 'endpoints', 'namespaces', 'configmaps', 'secrets', 'leases']);

/** URL-level rules for node identities; other users get no opinion. */
export const nodeAuthorizer: Authorizer = {
  authorize(a: RequestAttributes) {
    const node = nodeNameOf(a.user);
    if (!node) return 'no-opinion';
    const r = a.resource;
    if (!r) return a.path === '/api' || a.path === '/apis' || a.path.startsWith('/api/v1') || a.path.startsWith('/apis/') ? (a.verb === 'get' ? 'allow' : 'deny') : 'no-opinion';
    if (READ.has(a.verb) && READABLE.has(r.resource) && !r.subresource) return 'allow';
    switch (r.resource) {
      case 'nodes':
        return !r.subresource || r.subresource === 'status' ? 'allow' : 'deny';
      case 'leases':
        return r.namespace === 'kube-node-lease' ? 'allow' : 'deny';
      case 'pods':
        if (r.subresource === 'status' && a.verb !== 'create') return 'allow';
        return !r.subresource && a.verb === 'delete' ? 'allow' : 'deny';
      case 'events':
        return ['create', 'update', 'patch', 'get', 'list', 'watch'].includes(a.verb) ? 'allow' : 'deny';
      default:
        return 'deny';
    }
  },
};

/**
 * NodeRestriction: a node's write must concern its own objects. `obj` is the submitted
 * object on create, the stored one on update and delete.
 */
export function admitNodeWrite(user: UserInfo, info: ResourceInfo, obj: KubeObject): void {
  const node = nodeNameOf(user);
  if (!node) return;
  const name = obj.metadata?.name ?? '';
  const deny = (why: string) => forbidden(`${info.resource} "${name}" is forbidden: node "${node}" ${why}`, { name, kind: info.resource });
  switch (info.kind) {
    case 'Node':
      if (name !== node) throw deny('may only modify its own Node object');
      return;
    case 'Lease':
      if (name !== node || obj.metadata?.namespace !== 'kube-node-lease') throw deny('may only modify its own Lease in kube-node-lease');
      return;
    case 'Pod':
      if ((obj.spec as { nodeName?: string } | undefined)?.nodeName !== node) throw deny('may only modify pods bound to it');
      return;
    case 'Event':
      return;
    default:
      throw deny(`may not modify ${info.resource}`);
  }
}
