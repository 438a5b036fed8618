// Reads a resource URL the way kube's RequestInfoFactory does:
//   /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
//   /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
// with the special case that namespaces/{name}/status|finalize addresses the namespace itself.

export interface ResourceRequest {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Parses a path; undefined when it is not a resource path. */
export function parseResourcePath(path: string): ResourceRequest | undefined {
  const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    // namespaces/{name} and namespaces/{name}/status|finalize address the Namespace object.
    if (rest.length === 2 || (rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]!))) {
      return { group, version, resource: 'namespaces', name: rest[1], subresource: rest[2] };
    }
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 3) return undefined;
  return { group, version, namespace, resource: rest[0]!, name: rest[1], subresource: rest[2] };
}
