// Image metadata: which names this node has, what each resolves to, and the facts the runtime
// needs without re-reading blobs (layers, diff_ids, chain IDs, the run config). Kept in one
// JSON file replaced atomically (write temp, fsync, rename), so a crash leaves either the old
// or the new list, never a torn one. Updates hold a lock file, so the agent and a `skiff
// image` command changing the list at the same moment do not lose each other's change.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Descriptor, Platform } from './media-types.js';

/** The run configuration of an image, typed for the runtime (from the config blob's `config`). */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env: string[];
  workingDir?: string;
  user?: string;
  /** `80/tcp`, `53/udp` */
  exposedPorts: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  volumes: string[];
}

/** One named image on this node. */
export interface ImageRecord {
  /** Fully qualified reference: `docker.io/library/busybox:latest` (or `repo@sha256:...`). */
  name: string;
  /** What the name resolved to: an index digest for multi-arch images, else the manifest's. */
  digest: string;
  /** The media type of `digest` (index or manifest). */
  mediaType: string;
  /** This platform's manifest. */
  manifest: Descriptor;
  /** The config blob; its digest is the image ID people see. */
  configDigest: string;
  layers: Array<Descriptor & { diffId: string }>;
  /** chainID of each layer stack, bottom first; the last names the rootfs snapshot. */
  chainIds: string[];
  config: ImageConfig;
  platform: Platform;
  /** Sum of the compressed layer sizes plus config and manifest. */
  size: number;
  /** From the image config, when set. */
  created?: string;
  pulledAt: string;
  /** Pinned images are never removed by image garbage collection (like containerd's pinned label). */
  pinned: boolean;
}

interface StoreFile {
  version: 1;
  images: Record<string, ImageRecord>;
}

/** Every blob an image references: resolved digest, platform manifest, config, layers. */
export function imageDigests(image: ImageRecord): string[] {
  return [image.digest, image.manifest.digest, image.configDigest, ...image.layers.map((l) => l.digest)];
}

/** Reads the `config` section of an OCI / Docker image config into an ImageConfig. */
export function parseImageConfig(raw: unknown): ImageConfig {
  const c = ((raw as { config?: Record<string, unknown> })?.config ?? {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);
  const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries((c.Labels as Record<string, unknown> | null) ?? {})) labels[k] = String(v);
  return {
    entrypoint: strings(c.Entrypoint),
    cmd: strings(c.Cmd),
    env: strings(c.Env) ?? [],
    workingDir: nonEmpty(c.WorkingDir),
    user: nonEmpty(c.User),
    exposedPorts: Object.keys((c.ExposedPorts as object | null) ?? {}),
    labels,
    stopSignal: nonEmpty(c.StopSignal),
    volumes: Object.keys((c.Volumes as object | null) ?? {}),
  };
}

/** The image list on disk; operations are serialised within the process. */
export class ImageStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** Every image, sorted by name. */
  async list(): Promise<ImageRecord[]> {
    const data = await this.load();
    return Object.values(data.images).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ImageRecord | undefined> {
    return (await this.load()).images[name];
  }

  /** Adds or replaces the image called `record.name`; a re-pull keeps an earlier pin. */
  async put(record: ImageRecord): Promise<void> {
    await this.update((data) => {
      const previous = data.images[record.name];
      data.images[record.name] = { ...record, pinned: record.pinned || (previous?.pinned ?? false) };
    });
  }

  /** Removes `name`; resolves to the removed record, undefined when there was none. */
  async remove(name: string): Promise<ImageRecord | undefined> {
    let removed: ImageRecord | undefined;
    await this.update((data) => {
      removed = data.images[name];
      delete data.images[name];
    });
    return removed;
  }

  async setPinned(name: string, pinned: boolean): Promise<void> {
    await this.update((data) => {
      const image = data.images[name];
      if (!image) throw new Error(`pin image ${name}: no such image`);
      image.pinned = pinned;
    });
  }

  private async load(): Promise<StoreFile> {
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as StoreFile;
      if (data.version !== 1 || typeof data.images !== 'object') throw new Error(`unknown format version ${String(data.version)}`);
      return data;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, images: {} };
      throw new Error(`read image list ${this.file}: ${(err as Error).message}`);
    }
  }

  private update(change: (data: StoreFile) => void): Promise<void> {
    const run = this.queue.then(() => withLockFile(`${this.file}.lock`, async () => {
      const data = await this.load();
      change(data);
      await writeAtomically(this.file, JSON.stringify(data, null, 1));
    }));
    this.queue = run.catch(() => {});
    return run;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}

// A holder that died leaves its lock behind; one older than this is taken over.
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 15_000;

/** Runs `fn` holding `lock` (created O_EXCL, holding our pid); waits for other holders. */
async function withLockFile<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lock), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o644);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(lock)) { await rm(lock, { force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`update image list: ${lock} is held by another skiff process; remove it if none is running`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

async function isStale(lock: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    const pid = Number(text);
    if (Number.isInteger(pid) && pid > 0) {
      try { process.kill(pid, 0); } catch (err) { if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true; }
    }
    return Date.now() - info.mtimeMs > STALE_LOCK_MS;
  } catch {
    return false;
  }
}
