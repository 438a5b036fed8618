// The OCI and Docker media types the image service understands, and the platform matching
// used to pick one manifest out of an image index / manifest list.

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+prettyjws', 'application/vnd.docker.distribution.manifest.v1+json'];

export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

/**
 * Sent on every manifest request. Registries answer 404 for an OCI manifest when its type is
 * missing here, and down-convert Docker schema2 to schema1 (another digest) without the
 * Docker types, so all four are always listed.
 */
export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ');

export const LAYER_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
]);

export function isIndex(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_LIST;
}

export function isManifest(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/** A content descriptor as in the OCI image spec. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

/** The platform this node runs, in OCI terms (Node's x64 is amd64; arm64 implies variant v8). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const architecture = arch[process.arch] ?? process.arch;
  const platform: Platform = { os: 'linux', architecture };
  if (architecture === 'arm64') platform.variant = 'v8';
  if (architecture === 'arm') {
    const v = (process.config.variables as Record<string, unknown>).arm_version;
    platform.variant = `v${v ?? 7}`;
  }
  return platform;
}

function normalizeVariant(architecture: string, variant: string | undefined): string | undefined {
  if (architecture === 'arm64' && (variant === undefined || variant === '' || variant === '8')) return 'v8';
  if (architecture === 'amd64' && (variant === 'v1' || variant === '')) return undefined;
  return variant;
}

/**
 * True when an index entry's platform runs on `want`. os and architecture must match; a
 * variant must match after normalisation (arm64 = v8), and an entry without a variant matches
 * any variant of its architecture (amd64 v2/v3 images are optional refinements).
 */
export function platformMatches(entry: Platform | undefined, want: Platform): boolean {
  if (!entry) return false;
  if (entry.os !== want.os || entry.architecture !== want.architecture) return false;
  const ev = normalizeVariant(entry.architecture, entry.variant);
  const wv = normalizeVariant(want.architecture, want.variant);
  return ev === undefined || ev === wv;
}

/** The platform string people read: linux/arm64/v8. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
