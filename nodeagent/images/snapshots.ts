// Layer snapshots keyed by chainID, laid out like containerd's overlayfs snapshotter:
//
//   <root>/<chainID hex>/fs             the layer as an overlayfs upperdir (whiteouts as 0:0
//                                       char devices, opaque dirs by xattr)
//   <root>/<chainID hex>/snapshot.json  parent chainID, diffID, sizes, creation time
//   <root>/.ingest-<hex>-<random>/      a snapshot being written; renamed into place whole
//
// Because the key is the chainID (the whole stack below, not just this layer), a snapshot's
// meaning never depends on which image asked for it, and images sharing a base share its
// snapshots. A snapshot directory appears only complete: the layer is applied into an ingest
// dir and renamed; a crash leaves only `.ingest-*` dirs, which `removeStaleIngests` clears.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyLayer, type AppliedLayer } from './layer-apply.js';
import { chainIdOf, isSha256Digest } from './chain-id.js';

/** What is recorded next to each snapshot. */
export interface SnapshotInfo {
  chainId: string;
  /** chainID of the snapshot below; absent for a bottom layer. */
  parent?: string;
  diffId: string;
  /** Bytes of the uncompressed layer tar. */
  tarSize: number;
  /** Compression the layer arrived in. */
  compression: AppliedLayer['compression'];
  /** RFC 3339. */
  created: string;
}

export interface ApplySnapshotRequest {
  chainId: string;
  parentChainId?: string;
  diffId: string;
  /** The layer blob (compressed or not); or give `stream`. */
  layerPath?: string;
  stream?: AsyncIterable<Uint8Array>;
}

export interface SnapshotUsage {
  /** Bytes of file content (apparent sizes) in the snapshot's fs. */
  size: number;
  inodes: number;
}

function hexOf(chainId: string): string {
  if (!isSha256Digest(chainId)) throw new Error(`snapshot \`${chainId}\`: a chainID must be a sha256 digest`);
  return chainId.slice('sha256:'.length);
}

/** Stores one snapshot per chainID under `root`; safe for concurrent use within one process. */
export class Snapshotter {
  private readonly inflight = new Map<string, Promise<SnapshotInfo>>();

  constructor(readonly root: string) {}

  /** The overlay upperdir-format directory of `chainId` (whether or not it exists yet). */
  fsDir(chainId: string): string {
    return join(this.root, hexOf(chainId), 'fs');
  }

  async has(chainId: string): Promise<boolean> {
    return (await this.info(chainId)) !== null;
  }

  /** The snapshot's metadata, or null when it does not exist. */
  async info(chainId: string): Promise<SnapshotInfo | null> {
    try {
      return JSON.parse(await readFile(join(this.root, hexOf(chainId), 'snapshot.json'), 'utf8')) as SnapshotInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Unpacks a layer into the snapshot `chainId` on top of `parentChainId`, verifying its
   * diffID in the same pass. Idempotent: an existing snapshot is returned as is (a given
   * `stream` is then left unread), and concurrent calls for the same chainID share one unpack.
   */
  apply(req: ApplySnapshotRequest): Promise<SnapshotInfo> {
    const running = this.inflight.get(req.chainId);
    if (running) return running;
    const p = this.unpack(req).finally(() => this.inflight.delete(req.chainId));
    this.inflight.set(req.chainId, p);
    return p;
  }

  private async unpack(req: ApplySnapshotRequest): Promise<SnapshotInfo> {
    const hex = hexOf(req.chainId);
    const expected = chainIdOf(req.parentChainId, req.diffId);
    if (expected !== req.chainId) {
      throw new Error(`apply snapshot ${req.chainId}: chainID of parent ${req.parentChainId ?? '(none)'} + diffID ${req.diffId} is ${expected}`);
    }
    const existing = await this.info(req.chainId);
    if (existing) return existing;
    const lowerDirs = req.parentChainId ? await this.lowerDirs(req.parentChainId) : [];
    if ((req.layerPath === undefined) === (req.stream === undefined)) {
      throw new Error(`apply snapshot ${req.chainId}: give exactly one of layerPath and stream`);
    }
    await mkdir(this.root, { recursive: true });
    const ingest = join(this.root, `.ingest-${hex.slice(0, 16)}-${randomBytes(4).toString('hex')}`);
    await mkdir(ingest, { recursive: true, mode: 0o700 });
    // A bottom layer without a `./` entry leaves the root as created: 0755 like every unpacker.
    await mkdir(join(ingest, 'fs'), { mode: 0o755 });
    try {
      const input = req.stream ?? createReadStream(req.layerPath!, { highWaterMark: 1 << 20 });
      const applied = await applyLayer(input, join(ingest, 'fs'), { mode: 'snapshot', diffId: req.diffId, lowerDirs, label: req.diffId });
      const info: SnapshotInfo = {
        chainId: req.chainId,
        ...(req.parentChainId ? { parent: req.parentChainId } : {}),
        diffId: applied.diffId,
        tarSize: applied.tarSize,
        compression: applied.compression,
        created: new Date().toISOString(),
      };
      await writeFile(join(ingest, 'snapshot.json'), JSON.stringify(info, null, 2));
      try {
        await rename(ingest, join(this.root, hex));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another process committed the same chainID first; its content is identical by construction.
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        await rm(ingest, { recursive: true, force: true });
        return (await this.info(req.chainId)) ?? info;
      }
      return info;
    } catch (err) {
      await rm(ingest, { recursive: true, force: true });
      throw err;
    }
  }

  /** Every committed snapshot. */
  async list(): Promise<SnapshotInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: SnapshotInfo[] = [];
    for (const name of names) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const info = await this.info(`sha256:${name}`);
      if (info) out.push(info);
    }
    return out;
  }

  /**
   * Removes a snapshot. Refused while another snapshot is built on it; the image store's
   * garbage collector removes from the top of each chain down.
   */
  async remove(chainId: string): Promise<void> {
    const hex = hexOf(chainId);
    const children = (await this.list()).filter((s) => s.parent === chainId);
    if (children.length > 0) {
      throw new Error(`remove snapshot ${chainId}: snapshot ${children[0]!.chainId} is built on it; remove that first`);
    }
    // Rename first, so the snapshot disappears whole even if the recursive delete is interrupted.
    const trash = join(this.root, `.ingest-${hex.slice(0, 16)}-rm-${randomBytes(4).toString('hex')}`);
    try {
      await rename(join(this.root, hex), trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(trash, { recursive: true, force: true });
  }

  /** Disk used by one snapshot's fs: apparent bytes and inode count (a du-style walk). */
  async usage(chainId: string): Promise<SnapshotUsage> {
    const usage: SnapshotUsage = { size: 0, inodes: 0 };
    const seen = new Set<number>();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const st = await lstat(path);
        if (st.nlink > 1 && !st.isDirectory()) {
          if (seen.has(st.ino)) continue;
          seen.add(st.ino);
        }
        usage.inodes++;
        if (st.isFile()) usage.size += st.size;
        if (entry.isDirectory()) await walk(path);
      }
    };
    const fs = this.fsDir(chainId);
    if (!(await this.has(chainId))) throw new Error(`snapshot usage ${chainId}: no such snapshot`);
    await walk(fs);
    return usage;
  }

  /** The fs dirs of `topChainId` and every parent, top-most first: overlayfs `lowerdir` order. */
  async lowerDirs(topChainId: string): Promise<string[]> {
    const dirs: string[] = [];
    for (let id: string | undefined = topChainId; id !== undefined; ) {
      const info = await this.info(id);
      if (!info) throw new Error(`resolve snapshot chain ${topChainId}: snapshot ${id} is missing; pull the image again`);
      dirs.push(this.fsDir(id));
      id = info.parent;
    }
    return dirs;
  }

  /** Removes ingest dirs left by a crash. Call once at agent start, before any apply. */
  async removeStaleIngests(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return 0;
    }
    const stale = names.filter((n) => n.startsWith('.ingest-'));
    for (const n of stale) await rm(join(this.root, n), { recursive: true, force: true });
    return stale.length;
  }
}
