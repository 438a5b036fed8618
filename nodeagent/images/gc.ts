// Garbage collection of image content: mark every blob and snapshot reachable from an image
// record, a running pull (lease) or a caller-supplied in-use set (containers), then sweep the
// rest. Images themselves are never removed here; `rm` does that, and GC reclaims what only
// the removed image used.
import type { ContentStore } from './content-store.js';
import { imageDigests, type ImageStore } from './image-store.js';
import type { Leases, LayerSnapshotter } from './pull.js';

/** What users of the images (containers) hold; GC keeps these even with no image naming them. */
export interface InUse {
  digests?: Iterable<string>;
  chainIds?: Iterable<string>;
}

/** A snapshotter GC can sweep: it lists what it holds, with each snapshot's parent. */
export interface SweepableSnapshotter extends LayerSnapshotter {
  list(): Promise<Array<{ chainId: string; parent?: string }>>;
}

export interface GcResult {
  removedBlobs: string[];
  removedSnapshots: string[];
  /** Bytes of the removed blobs (snapshots not counted). */
  freedBytes: number;
}

// An ingest untouched this long belongs to a process that died mid-pull.
const STALE_INGEST_MS = 60 * 60 * 1000;

/** Removes blobs and snapshots nothing uses. `inUse` is asked once, after the images are read. */
export async function collectGarbage(
  deps: { content: ContentStore; images: ImageStore; snapshotter?: LayerSnapshotter; leases: Leases },
  inUse: () => InUse | Promise<InUse> = () => ({}),
): Promise<GcResult> {
  const keepDigests = deps.leases.digests();
  const keepChains = deps.leases.chainIds();
  for (const image of await deps.images.list()) {
    for (const d of imageDigests(image)) keepDigests.add(d);
    for (const c of image.chainIds) keepChains.add(c);
  }
  const extra = await inUse();
  for (const d of extra.digests ?? []) keepDigests.add(d);
  for (const c of extra.chainIds ?? []) keepChains.add(c);

  const result: GcResult = { removedBlobs: [], removedSnapshots: [], freedBytes: 0 };
  for (const digest of await deps.content.list()) {
    if (keepDigests.has(digest)) continue;
    // A pull that started after the mark may have just committed this blob: re-check leases.
    if (deps.leases.digests().has(digest)) continue;
    result.freedBytes += (await deps.content.size(digest)) ?? 0;
    await deps.content.delete(digest);
    result.removedBlobs.push(digest);
  }
  const snapshotter = deps.snapshotter as Partial<SweepableSnapshotter> | undefined;
  if (snapshotter?.list) {
    const all = await snapshotter.list();
    const parentOf = new Map(all.map((s) => [s.chainId, s.parent]));
    const depth = (id: string): number => {
      let n = 0;
      for (let p = parentOf.get(id); p !== undefined; p = parentOf.get(p)) n++;
      return n;
    };
    // Deepest first: a snapshot cannot be removed while another is built on it. An image lists
    // the chainID of every prefix of its stack, so a kept snapshot's parents are kept too.
    const doomed = all.map((s) => s.chainId).filter((c) => !keepChains.has(c)).sort((a, b) => depth(b) - depth(a));
    for (const chainId of doomed) {
      if (deps.leases.chainIds().has(chainId)) continue;
      await snapshotter.remove!(chainId);
      result.removedSnapshots.push(chainId);
    }
  }
  await deps.content.cleanIngests(STALE_INGEST_MS);
  return result;
}
