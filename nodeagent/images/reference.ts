// Image references, normalised the way Docker and containerd do it: `busybox` means
// `docker.io/library/busybox:latest`, the first path component is a registry host only when it
// looks like one (has a dot or a port, or is `localhost`), and a digest pins the content.

/** A parsed image reference. `tag` is absent only when `digest` is set. */
export interface ImageReference {
  /** Registry host as users write it: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/busybox`. */
  path: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
}

/** A reference that cannot be parsed; the message says which part is wrong. */
export class ReferenceError extends Error {
  override name = 'ReferenceError';
}

export const DOCKER_HUB = 'docker.io';
const NAME_TOTAL_MAX = 255;
// distribution/reference's grammar: lowercase components joined by `.`, `_`, `__` or dashes.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

/**
 * Parses and normalises `input`. Throws ReferenceError naming the bad part: uppercase
 * repository, bad tag, bad digest, empty component, name too long.
 */
export function parseReference(input: string): ImageReference {
  const fail = (why: string): never => { throw new ReferenceError(`parse image reference "${input}": ${why}`); };
  if (!input || input.trim() !== input) fail('must be non-empty and have no surrounding spaces');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digest.startsWith('sha256:')) fail(`digest "${digest}" is not supported: only sha256 digests are`);
    if (!DIGEST.test(digest)) fail(`digest "${digest}" must be sha256: followed by 64 lowercase hex characters`);
  }

  // A tag follows the last ':' that comes after the last '/', so `host:5000/repo` has no tag.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag "${tag}" must be 1-128 characters of letters, digits, '_', '.', '-' and not start with '.' or '-'`);
  }

  let domain = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      // An uppercase first component would be an invalid repository; Docker reads it as a host.
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN.test(domain)) fail(`registry host "${domain}" is not a valid host[:port]`);
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;

  if (!path) fail('repository name is empty');
  for (const component of path.split('/')) {
    if (!component) fail('repository name has an empty path component');
    if (component !== component.toLowerCase()) fail(`repository name "${path}" must be lowercase`);
    if (!PATH_COMPONENT.test(component)) {
      fail(`repository path component "${component}" may hold only lowercase letters, digits and single separators (., _, __, -)`);
    }
  }
  if (`${domain}/${path}`.length > NAME_TOTAL_MAX) fail(`repository name is longer than ${NAME_TOTAL_MAX} characters`);

  if (!tag && !digest) tag = 'latest';
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `domain/path` — the repository, the key images of one name share. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The fully qualified form: `docker.io/library/busybox:latest`, `host/repo:tag@sha256:...`. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** What to put after `/manifests/`: the digest when there is one (it wins over the tag), else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag!;
}

/** The host the registry API lives on for `domain`: Docker Hub serves it on registry-1.docker.io. */
export function apiHost(domain: string): string {
  return domain === DOCKER_HUB ? 'registry-1.docker.io' : domain;
}
