// The pull loop. Resolve the name to a digest (one HEAD); when that digest is already
// complete on this node, stop there. Otherwise:
//   1. fetch the manifest, picking this platform out of an index;
//   2. download the config alongside the layers, at most 3 at a time;
//   3. unpack layer i into its snapshot as soon as its blob is committed and layer i-1 is
//      unpacked, so unpacking overlaps the downloads still running;
//   4. only then record the name.
// A failed or cancelled pull removes the blobs and snapshots it created that nothing else
// uses, so a retry starts clean.
import type { Readable } from 'node:stream';
import { chainIds as computeChainIds } from './chain-id.js';
import { ContentError, type ContentStore, type IngestWriter } from './content-store.js';
import { imageDigests, parseImageConfig, type ImageRecord, type ImageStore } from './image-store.js';
import { DOCKER_CONFIG, LAYER_MEDIA_TYPES, OCI_CONFIG, isIndex, isManifest, type Descriptor } from './media-types.js';
import { formatReference, parseReference } from './reference.js';
import { RegistryError, manifestMediaType, type RegistryClient, type RepositorySource } from './registry-client.js';

/** What the pull needs from the layer snapshotter (nodeagent/images/snapshots.ts). */
export interface LayerSnapshotter {
  has(chainId: string): boolean | Promise<boolean>;
  /** Unpacks the layer blob at `layerPath` on top of `parentChainId`, verifying `diffId`. */
  apply(request: { chainId: string; parentChainId?: string; diffId: string; layerPath: string }): Promise<unknown>;
  remove(chainId: string): Promise<unknown>;
}

export type LayerState = 'waiting' | 'downloading' | 'downloaded' | 'unpacking' | 'done';

/** Progress of one layer, reported on every state change and as bytes arrive. */
export interface LayerProgress {
  index: number;
  digest: string;
  size: number;
  downloaded: number;
  state: LayerState;
  /** The blob or snapshot was already on the node. */
  cached: boolean;
}

export interface PullOptions {
  /** Unpack into snapshots (default true when a snapshotter is given). */
  unpack?: boolean;
  /** Parallel layer downloads; containerd and Docker use 3. */
  concurrency?: number;
  onProgress?: (layers: LayerProgress[]) => void;
  /** Called once the reference resolved, before any download. */
  onResolved?: (name: string, digest: string) => void;
  /** Cancels the pull; what it created so far is removed, as for any failure. */
  signal?: AbortSignal;
}

export interface PullResult {
  image: ImageRecord;
  /** False when everything was already present and only the manifest digest was checked. */
  fetched: boolean;
}

export interface PullDeps {
  client: RegistryClient;
  content: ContentStore;
  images: ImageStore;
  snapshotter?: LayerSnapshotter;
  /** Blobs and snapshots in use by pulls running in this process (protects them from rollback and GC). */
  leases: Leases;
}

const DOWNLOAD_ATTEMPTS = 5;

/** The parts of an image config blob the pull reads. */
interface ImageConfigJson {
  rootfs?: { diff_ids?: string[] };
  created?: string;
  os?: string;
  architecture?: string;
  variant?: string;
}
/** containers/image's cap on config blobs; a config is read whole into memory. */
const MAX_CONFIG_BYTES = 4 << 20;

/** Content and snapshots that in-progress pulls hold; GC and rollbacks leave them alone. */
export class Leases {
  private readonly active = new Set<{ digests: Set<string>; chainIds: Set<string> }>();

  acquire(): { digests: Set<string>; chainIds: Set<string>; release(): void } {
    const lease = { digests: new Set<string>(), chainIds: new Set<string>() };
    this.active.add(lease);
    return { ...lease, release: () => { this.active.delete(lease); } };
  }

  digests(): Set<string> {
    return new Set([...this.active].flatMap((l) => [...l.digests]));
  }

  chainIds(): Set<string> {
    return new Set([...this.active].flatMap((l) => [...l.chainIds]));
  }
}

/** Pulls `input` (any reference form) and records it; errors read `pull <ref>: <step>: <why>`. */
export async function pullImage(deps: PullDeps, input: string, options: PullOptions = {}): Promise<PullResult> {
  const ref = parseReference(input);
  const name = formatReference(ref);
  const unpack = options.unpack ?? deps.snapshotter !== undefined;
  if (unpack && !deps.snapshotter) throw new Error(`pull ${input}: unpacking needs a snapshotter`);
  const lease = deps.leases.acquire();
  const created = { digests: [] as string[], chainIds: [] as string[] };
  const aborted = new AbortController();
  const cancel = (): void => aborted.abort(options.signal?.reason ?? new Error('pull cancelled'));
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    aborted.signal.throwIfAborted();
    const resolved = await deps.client.resolve(ref);
    aborted.signal.throwIfAborted();
    const target = resolved.descriptor;
    options.onResolved?.(name, target.digest);

    const existing = await deps.images.get(name);
    if (existing && existing.digest === target.digest && await isImageComplete(deps.content, unpack ? deps.snapshotter : undefined, existing)) {
      return { image: existing, fetched: false };
    }

    const source = resolved.source;
    // Blobs come from the endpoint that resolved the name, then from the others in order,
    // e.g. when a pull-through mirror has the manifest but lost a layer.
    const blobSources = [source, ...deps.client.sources(ref).filter((s) => s.endpoint.apiRoot !== source.endpoint.apiRoot)];
    const track = async (digest: string, size: number, fetch: (w: IngestWriter) => Promise<void> | void): Promise<string> => {
      lease.digests.add(digest);
      const had = (await deps.content.size(digest)) === size;
      const path = await deps.content.ensure(digest, size, fetch);
      if (!had) created.digests.push(digest);
      return path;
    };
    const manifestBytes = async (desc: Descriptor): Promise<Buffer> => {
      lease.digests.add(desc.digest);
      if (desc === target && resolved.bytes) return resolved.bytes;
      if ((await deps.content.size(desc.digest)) === desc.size) return deps.content.read(desc.digest);
      return deps.client.fetchManifest(source, desc);
    };

    // Everything about the image is checked before any of it is stored.
    let manifestDesc = target;
    const topBytes = await manifestBytes(target);
    const topType = manifestMediaType(topBytes, target.mediaType);
    let bytes = topBytes;
    if (isIndex(topType)) {
      manifestDesc = deps.client.selectPlatform(topBytes, target.digest);
      bytes = await manifestBytes(manifestDesc);
    }
    const manifestType = manifestMediaType(bytes, manifestDesc.mediaType);
    if (!isManifest(manifestType)) {
      throw new RegistryError(`manifest ${manifestDesc.digest} has media type ${manifestType}, not an image manifest`, 'unsupported');
    }
    const manifest = JSON.parse(bytes.toString()) as { config?: Descriptor; layers?: Descriptor[] };
    const configDesc = manifest.config;
    const layers = manifest.layers ?? [];
    if (!configDesc || (configDesc.mediaType !== OCI_CONFIG && configDesc.mediaType !== DOCKER_CONFIG)) {
      throw new RegistryError(`manifest ${manifestDesc.digest}: config media type ${configDesc?.mediaType ?? '(missing)'} is not an image config; this is an artifact, not a runnable image`, 'unsupported');
    }
    for (const [i, layer] of layers.entries()) {
      if (!LAYER_MEDIA_TYPES.has(layer.mediaType)) {
        throw new RegistryError(`manifest ${manifestDesc.digest}: layers[${i}] has media type ${layer.mediaType}, which is not a container layer`, 'unsupported');
      }
    }

    if (configDesc.size > MAX_CONFIG_BYTES) {
      throw new RegistryError(`manifest ${manifestDesc.digest}: config of ${configDesc.size} bytes is over the ${MAX_CONFIG_BYTES}-byte limit`, 'too-large');
    }
    // The config downloads alongside the layers (it is needed only before the first unpack),
    // which saves a round trip on every pull.
    const configReady = (async () => {
      await track(configDesc.digest, configDesc.size, (w) => download(deps.client, blobSources, configDesc, w, undefined, aborted.signal));
      let json: ImageConfigJson;
      try {
        json = JSON.parse((await deps.content.read(configDesc.digest)).toString()) as ImageConfigJson;
      } catch {
        throw new RegistryError(`config ${configDesc.digest}: not valid JSON`, 'invalid-manifest');
      }
      const diffIds = json.rootfs?.diff_ids ?? [];
      if (diffIds.length !== layers.length) {
        throw new RegistryError(`config ${configDesc.digest}: ${diffIds.length} diff_ids for ${layers.length} layers`, 'invalid-manifest');
      }
      const chainIds = computeChainIds(diffIds);
      for (const c of chainIds) lease.chainIds.add(c);
      return { json, diffIds, chainIds };
    })();

    const progress: LayerProgress[] = layers.map((l, index) => ({ index, digest: l.digest, size: l.size, downloaded: 0, state: 'waiting', cached: false }));
    const report = (): void => options.onProgress?.(progress);
    report();

    aborted.signal.throwIfAborted();
    const limit = limiter(options.concurrency ?? 3);
    const blobs = layers.map((layer, i) => limit(async () => {
      if (aborted.signal.aborted) throw aborted.signal.reason;
      const p = progress[i]!;
      if ((await deps.content.size(layer.digest)) === layer.size) {
        p.cached = true;
      } else {
        p.state = 'downloading';
        report();
      }
      const path = await track(layer.digest, layer.size, (w) => download(deps.client, blobSources, layer, w, (n) => {
        p.downloaded = n;
        report();
      }, aborted.signal));
      p.downloaded = layer.size;
      p.state = 'downloaded';
      report();
      return path;
    }));
    // Unhandled-rejection guard: every one of these is awaited below or after a failure.
    configReady.catch(() => {});
    blobs.forEach((b) => b.catch(() => {}));

    let config: Awaited<typeof configReady>;
    try {
      config = await configReady;
      const { diffIds, chainIds } = config;
      for (const [i, layer] of layers.entries()) {
        const path = await blobs[i]!;
        const p = progress[i]!;
        if (unpack) {
          const snapshotter = deps.snapshotter!;
          if (await snapshotter.has(chainIds[i]!)) {
            p.cached = true;
          } else {
            p.state = 'unpacking';
            report();
            await snapshotter.apply({ chainId: chainIds[i]!, parentChainId: chainIds[i - 1], diffId: diffIds[i]!, layerPath: path })
              .catch((err: Error) => { throw new Error(`unpack layer ${i} (${layer.digest}): ${err.message}`, { cause: err }); });
            created.chainIds.push(chainIds[i]!);
          }
        }
        p.state = 'done';
        report();
      }
    } catch (err) {
      aborted.abort(err);
      await Promise.allSettled([configReady, ...blobs]);
      throw err;
    }
    const { json: configJson, diffIds, chainIds } = config;

    // Manifests go in last: their presence is what marks the image complete.
    await track(manifestDesc.digest, manifestDesc.size, async (w) => { await w.write(bytes); });
    if (manifestDesc !== target) await track(target.digest, target.size, async (w) => { await w.write(topBytes); });

    const image: ImageRecord = {
      name,
      digest: target.digest,
      mediaType: topType,
      manifest: { mediaType: manifestType, digest: manifestDesc.digest, size: manifestDesc.size },
      configDigest: configDesc.digest,
      layers: layers.map((l, i) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, diffId: diffIds[i]! })),
      chainIds,
      config: parseImageConfig(configJson),
      platform: { os: configJson.os ?? 'linux', architecture: configJson.architecture ?? '', ...(configJson.variant ? { variant: configJson.variant } : {}) },
      size: layers.reduce((n, l) => n + l.size, configDesc.size + manifestDesc.size),
      created: configJson.created,
      pulledAt: new Date().toISOString(),
      pinned: false,
    };
    await deps.images.put(image);
    return { image, fetched: true };
  } catch (err) {
    await rollback(deps, created, lease);
    throw pullError(input, err);
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    lease.release();
  }
}

/** True when every blob of `image` and (when unpacking) its rootfs snapshot are present. */
export async function isImageComplete(content: ContentStore, snapshotter: LayerSnapshotter | undefined, image: ImageRecord): Promise<boolean> {
  const present = await Promise.all(imageDigests(image).map((d) => content.has(d)));
  if (present.includes(false)) return false;
  const top = image.chainIds.at(-1);
  return !top || !snapshotter || snapshotter.has(top);
}

/** Removes what a failed pull created, unless another image or pull uses it. */
async function rollback(deps: PullDeps, created: { digests: string[]; chainIds: string[] }, lease: { release(): void }): Promise<void> {
  lease.release();
  const images = await deps.images.list().catch(() => []);
  const keepDigests = deps.leases.digests();
  const keepChains = deps.leases.chainIds();
  for (const image of images) {
    for (const d of imageDigests(image)) keepDigests.add(d);
    for (const c of image.chainIds) keepChains.add(c);
  }
  for (const c of created.chainIds.reverse()) if (!keepChains.has(c)) await deps.snapshotter?.remove(c).catch(() => {});
  for (const d of created.digests) if (!keepDigests.has(d)) await deps.content.delete(d).catch(() => {});
}

function pullError(input: string, err: unknown): Error {
  const e = err as Error & { code?: string };
  const wrapped = new Error(`pull ${input}: ${e.message}`, { cause: err }) as Error & { code?: string };
  wrapped.code = e.code;
  return wrapped;
}

/**
 * Streams blob `desc` into `writer` from the first source that has it. On one source a
 * dropped connection resumes at the writer's offset (up to 5 attempts); a source that lacks
 * the blob or stays unreachable hands over to the next, which continues at the same offset
 * (the digest check at commit catches two sources that disagree). Auth and verification
 * failures stop at once.
 */
async function download(client: RegistryClient, sources: RepositorySource[], desc: Descriptor, writer: IngestWriter,
  onBytes?: (n: number) => void, signal?: AbortSignal): Promise<void> {
  let firstError: unknown;
  for (const source of sources) {
    try {
      await downloadFrom(client, source, desc, writer, onBytes, signal);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (signal?.aborted || !(err instanceof RegistryError) || (code !== 'not-found' && code !== 'unavailable')) throw err;
      firstError ??= err;
    }
  }
  throw firstError;
}

async function downloadFrom(client: RegistryClient, source: RepositorySource, desc: Descriptor, writer: IngestWriter,
  onBytes?: (n: number) => void, signal?: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const stream = await client.openBlob(source, desc, writer.offset);
      await pump(stream, writer, onBytes, signal);
      if (writer.offset === desc.size) return;
      throw new Error(`connection closed after ${writer.offset} of ${desc.size} bytes`);
    } catch (err) {
      const e = err as Error & { code?: string };
      const permanent = err instanceof ContentError || signal?.aborted
        || (err instanceof RegistryError && !['unavailable', 'protocol'].includes(e.code ?? ''))
        || e.name === 'UnauthorizedError';
      if (permanent) throw err;
      if (attempt >= DOWNLOAD_ATTEMPTS) {
        throw new RegistryError(`fetch blob ${desc.digest} from ${source.endpoint.host}: ${e.message} (gave up after ${attempt} attempts)`, 'unavailable', undefined, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Feeds `stream` into `writer` in flowing mode, pausing only while the writer is busy.
 * ('data' events rather than for-await: the async iterator concatenates buffered chunks,
 * an extra copy of every byte.) Resolves at end of stream, rejects on error or abort.
 */
function pump(stream: Readable, writer: IngestWriter, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(signal!.reason);
    if (signal?.aborted) { fail(signal.reason); return; }
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      let wait: Promise<void> | undefined;
      try {
        wait = writer.write(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      onBytes?.(writer.offset);
      if (wait) {
        stream.pause();
        wait.then(() => { if (!settled) stream.resume(); }, fail);
      }
    });
    stream.once('error', fail);
    stream.once('end', () => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    // A socket closed early by the server ends the response without 'end' in some cases.
    stream.once('close', () => {
      if (!settled && !stream.readableEnded) fail(new Error('connection closed before the body ended'));
    });
  });
}

/** Runs at most `n` of the given tasks at once, in submission order. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return <T>(task: () => Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    const start = (): void => {
      running++;
      task().then(resolve, reject).finally(() => {
        running--;
        waiting.shift()?.();
      });
    };
    if (running < n) start();
    else waiting.push(start);
  });
}
