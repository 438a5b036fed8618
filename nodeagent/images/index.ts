// The image service's public surface: pulling images from OCI registries into a verified
// content store, the image list the runtime reads (run config, chain IDs), garbage
// collection, and (snapshots.ts, rootfs.ts, flatten.ts) unpacked layers and container rootfs.
export { ImageService, ImageNotFoundError, type ImageServiceOptions, type PullPolicy } from './image-service.js';
export { pullImage, isImageComplete, Leases, type PullOptions, type PullResult, type LayerProgress, type LayerState, type LayerSnapshotter } from './pull.js';
export { parseReference, formatReference, repositoryName, ReferenceError, type ImageReference } from './reference.js';
export {
  loadRegistriesConfig, validateRegistriesConfig, emptyRegistriesConfig, endpointsFor, isLoopbackHost, configKey,
  type RegistriesConfig, type RegistryEndpoint, type RegistryCredentials, type RegistryTLS, type RegistryMirror,
} from './registries-config.js';
export { RegistryClient, RegistryError, MAX_MANIFEST_BYTES, type RepositorySource } from './registry-client.js';
export { Authorizer, UnauthorizedError, parseChallenges, type Challenge } from './auth.js';
export { ContentStore, ContentError, IngestWriter } from './content-store.js';
export { ImageStore, parseImageConfig, imageDigests, type ImageConfig, type ImageRecord } from './image-store.js';
export { collectGarbage, type GcResult, type InUse } from './gc.js';
export { hostPlatform, platformMatches, formatPlatform, type Descriptor, type Platform } from './media-types.js';
export { chainIds, chainIdOf } from './chain-id.js';
export { Snapshotter, type SnapshotInfo, type ApplySnapshotRequest, type SnapshotUsage } from './snapshots.js';
export { flattenLayers, type FlattenOptions } from './flatten.js';
export { prepareRootfs, removeRootfs, overlayOptions, mountOverlay, unmountOverlay, type OverlayRootfs, type RootfsStore } from './rootfs.js';
