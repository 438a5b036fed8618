// The image service the node agent and `skiff image` use: one object that owns the content
// store, the image list, the registry client and the snapshotter under one root directory.
//
//   <root>/content/blobs/sha256/<hex>   verified blobs (manifests, configs, layers)
//   <root>/content/ingest/<id>/data     downloads in flight (never read)
//   <root>/images.json                  names -> digests, layers, chain IDs, run config
//   <root>/snapshots/                   unpacked layers, keyed by chainID (snapshots.ts)
import { join } from 'node:path';
import { ContentStore } from './content-store.js';
import { collectGarbage, type GcResult, type InUse } from './gc.js';
import { ImageStore, type ImageConfig, type ImageRecord } from './image-store.js';
import type { Platform } from './media-types.js';
import { Leases, isImageComplete, pullImage, type LayerSnapshotter, type PullOptions, type PullResult } from './pull.js';
import { formatReference, parseReference } from './reference.js';
import { emptyRegistriesConfig, type RegistriesConfig } from './registries-config.js';
import { RegistryClient } from './registry-client.js';
import { flattenLayers } from './flatten.js';
import { Snapshotter } from './snapshots.js';

/** Kubernetes' imagePullPolicy values. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface ImageServiceOptions {
  /** Directory holding content, metadata and snapshots; the CLI uses <data-dir>/images. */
  root: string;
  registries?: RegistriesConfig;
  platform?: Platform;
  /**
   * Unpacks layers; default: a Snapshotter at <root>/snapshots. `false`: pulls only download
   * (what the benchmark's download-only figure measures).
   */
  snapshotter?: LayerSnapshotter | false;
  /** Base delay of registry retries (tests shorten it). */
  retryDelayMs?: number;
}

/** An image the user named that this node does not have. */
export class ImageNotFoundError extends Error {
  override name = 'ImageNotFoundError';
  code: 'not-found' | 'never-pull' = 'not-found';
}

/** Pull, list, inspect, remove and garbage-collect images on this node. */
export class ImageService {
  readonly content: ContentStore;
  readonly images: ImageStore;
  readonly client: RegistryClient;
  readonly snapshotter?: LayerSnapshotter;
  private readonly leases = new Leases();

  private constructor(readonly root: string, options: ImageServiceOptions) {
    this.content = new ContentStore(join(root, 'content'));
    this.images = new ImageStore(join(root, 'images.json'));
    this.client = new RegistryClient({ config: options.registries ?? emptyRegistriesConfig(), platform: options.platform, retryDelayMs: options.retryDelayMs });
    this.snapshotter = options.snapshotter === false ? undefined : options.snapshotter ?? new Snapshotter(ImageService.snapshotsDir(root));
  }

  /** Opens (creating if needed) the image service at `options.root`. */
  static async open(options: ImageServiceOptions): Promise<ImageService> {
    const service = new ImageService(options.root, options);
    await service.content.init();
    return service;
  }

  /** Where snapshots live under a service root (for building the snapshotter). */
  static snapshotsDir(root: string): string {
    return join(root, 'snapshots');
  }

  /** Pulls `ref` (and unpacks it when a snapshotter is set, unless `unpack: false`). */
  pull(ref: string, options: PullOptions = {}): Promise<PullResult> {
    return pullImage({ client: this.client, content: this.content, images: this.images, snapshotter: this.snapshotter, leases: this.leases }, ref, options);
  }

  /**
   * Makes `ref` available per a Kubernetes imagePullPolicy: `Always` checks the registry (a
   * warm re-pull is one HEAD), `IfNotPresent` uses a complete local image without any network,
   * `Never` only looks locally and fails with code `never-pull` (kubelet's ErrImageNeverPull).
   */
  async ensure(ref: string, policy: PullPolicy, options: PullOptions = {}): Promise<ImageRecord> {
    if (policy !== 'Always') {
      const local = await this.inspect(ref).catch(() => undefined);
      if (local && await isImageComplete(this.content, this.snapshotter, local)) return local;
      if (policy === 'Never') {
        const err = new ImageNotFoundError(`ensure image ${ref}: not on this node and imagePullPolicy is Never; pull it first or change the policy`);
        err.code = 'never-pull';
        throw err;
      }
    }
    return (await this.pull(ref, options)).image;
  }

  list(): Promise<ImageRecord[]> {
    return this.images.list();
  }

  /**
   * Finds an image by any reference form (`busybox`, full name, `name@digest`), by its
   * resolved digest, or by an image ID (config digest) prefix of at least 12 hex characters.
   */
  async inspect(ref: string): Promise<ImageRecord> {
    const images = await this.images.list();
    let name: string | undefined;
    try { name = formatReference(parseReference(ref)); } catch { /* maybe an ID */ }
    const hex = ref.replace(/^sha256:/, '');
    const found = images.find((i) => i.name === name)
      ?? images.find((i) => i.digest === ref || i.configDigest === ref)
      ?? (/^[a-f0-9]{12,64}$/.test(hex) ? images.find((i) => i.configDigest.slice(7).startsWith(hex)) : undefined);
    if (!found) throw new ImageNotFoundError(`inspect image ${ref}: not on this node; pull it first (skiff image pull ${ref})`);
    return found;
  }

  /** The run configuration the runtime starts containers with. */
  async config(ref: string): Promise<ImageConfig> {
    return (await this.inspect(ref)).config;
  }

  /**
   * Removes the name `ref`, then garbage-collects what only it used. Pinned images need
   * `force`. `inUse` lists what containers hold (kept even without an image).
   */
  async remove(ref: string, options: { force?: boolean; inUse?: () => InUse | Promise<InUse> } = {}): Promise<{ image: ImageRecord; gc: GcResult }> {
    const image = await this.inspect(ref);
    if (image.pinned && !options.force) throw new Error(`remove image ${image.name}: it is pinned; unpin it or pass --force`);
    await this.images.remove(image.name);
    return { image, gc: await this.prune(options.inUse) };
  }

  /** Marks an image as pinned (kept by image GC) or not. */
  setPinned(ref: string, pinned: boolean): Promise<void> {
    return this.inspect(ref).then((i) => this.images.setPinned(i.name, pinned));
  }

  /** Removes every blob and snapshot that no image, running pull or `inUse` entry references. */
  prune(inUse?: () => InUse | Promise<InUse>): Promise<GcResult> {
    return collectGarbage({ content: this.content, images: this.images, snapshotter: this.snapshotter, leases: this.leases }, inUse);
  }

  /**
   * Writes the image's flattened root filesystem into `dir` (which must not exist), applying
   * the stored layer blobs in order with whiteouts turned into deletions.
   */
  async unpack(ref: string, dir: string): Promise<ImageRecord> {
    const image = await this.inspect(ref);
    const missing = [];
    for (const layer of image.layers) if (!(await this.content.has(layer.digest))) missing.push(layer.digest);
    if (missing.length) throw new Error(`unpack image ${image.name}: layer blob ${missing[0]} is missing; pull the image again`);
    await flattenLayers(image.layers.map((l) => this.content.path(l.digest)), dir, { diffIds: image.layers.map((l) => l.diffId) })
      .catch((err: Error) => { throw new Error(`unpack image ${image.name} into ${dir}: ${err.message}`, { cause: err }); });
    return image;
  }

  /**
   * The image's snapshot dirs, top-most first (overlayfs lowerdir order), for a container
   * rootfs. Empty for an image without layers.
   */
  async lowerDirs(ref: string): Promise<string[]> {
    const image = await this.inspect(ref);
    const top = image.chainIds.at(-1);
    if (!top) return [];
    const snapshotter = this.snapshotter as Snapshotter | undefined;
    if (!snapshotter?.lowerDirs) throw new Error(`resolve rootfs of ${image.name}: this image service has no snapshotter`);
    return snapshotter.lowerDirs(top);
  }

  /** Closes pooled registry connections. */
  close(): void {
    this.client.close();
  }
}
