// A container's root filesystem: its image's snapshots as read-only overlayfs lowerdirs plus
// an upper and work dir of its own, so containers of one image share every layer and each
// writes only to its own upper. The runtime's native addon mounts the overlay inside the
// container's mount namespace (native/plan.ts PlanRootfs.overlay); `mountOverlay` does the
// same from the host with /bin/mount, for tests and `skiff image` tooling.
import { execFile } from 'node:child_process';
import { chmod, lchown, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { Snapshotter } from './snapshots.js';

const run = promisify(execFile);

/** Matches `PlanRootfs.overlay` plus the mount point (`PlanRootfs.path`). */
export interface OverlayRootfs {
  /** Snapshot fs dirs, top-most first, as overlayfs `lowerdir` lists them. */
  lower: string[];
  upper: string;
  work: string;
  /** Where the overlay is to be mounted. */
  target: string;
}

export interface RootfsStore {
  /** Holds `<containerId>/{upper,work,rootfs}`, e.g. `<dataDir>/rootfs`. */
  dir: string;
  snapshots: Snapshotter;
}

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function containerDir(store: RootfsStore, containerId: string): string {
  if (!CONTAINER_ID.test(containerId)) throw new Error(`prepare rootfs for container \`${containerId}\`: ids are [A-Za-z0-9_.-], at most 128 characters`);
  return join(store.dir, containerId);
}

/**
 * Creates the container's upper/work/target dirs and returns the overlay to mount. The
 * upper root takes the image root's owner and mode, since overlayfs shows the upper's.
 * Idempotent: a second call keeps what the container already wrote. `topChainId` undefined
 * (an image with no layers) gets one empty lowerdir, as overlayfs needs at least one.
 */
export async function prepareRootfs(store: RootfsStore, containerId: string, topChainId: string | undefined): Promise<OverlayRootfs> {
  const dir = containerDir(store, containerId);
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const target = join(dir, 'rootfs');
  let lower: string[];
  if (topChainId) {
    lower = await store.snapshots.lowerDirs(topChainId);
  } else {
    lower = [join(dir, 'empty')];
    await mkdir(lower[0]!, { recursive: true, mode: 0o755 });
  }
  for (const p of lower) {
    // overlayfs splits lowerdir on ':' and options on ','; our paths are ours, but say so if not.
    if (/[:,\\]/.test(p)) throw new Error(`prepare rootfs for container \`${containerId}\`: layer path \`${p}\` contains ':' ',' or '\\', which overlayfs options cannot carry`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mkdir(work, { recursive: true, mode: 0o700 });
  await mkdir(target, { recursive: true, mode: 0o755 });
  const fresh = await lstat(upper).then(() => false, () => true);
  if (fresh) {
    await mkdir(upper, { mode: 0o755 });
    const top = await lstat(lower[0]!);
    await lchown(upper, top.uid, top.gid);
    await chmod(upper, top.mode & 0o7777);
  }
  return { lower, upper, work, target };
}

/** Removes the container's upper, work and mount point. The overlay must be unmounted first. */
export async function removeRootfs(store: RootfsStore, containerId: string): Promise<void> {
  await rm(containerDir(store, containerId), { recursive: true, force: true });
}

/** overlayfs mount data for a rootfs; without upper/work the mount is read-only. */
export function overlayOptions(o: { lower: readonly string[]; upper?: string; work?: string }): string {
  const parts = [`lowerdir=${o.lower.join(':')}`];
  if (o.upper && o.work) parts.push(`upperdir=${o.upper}`, `workdir=${o.work}`);
  return parts.join(',');
}

/** mount(2) takes at most one page of option data. */
const MOUNT_DATA_MAX = 4095;

/**
 * Mounts overlayfs at `target` from the host with /bin/mount (Node has no mount(2)). Without
 * upper/work it is a read-only view of the snapshot stack. For tests and image tooling;
 * containers get theirs from the runtime addon.
 */
export async function mountOverlay(target: string, o: { lower: readonly string[]; upper?: string; work?: string }): Promise<void> {
  // overlayfs without an upperdir needs two lowerdirs; a one-layer stack is a read-only
  // bind instead, as containerd's snapshotter returns for a single committed layer.
  if (!o.upper && o.lower.length === 1) return mountWith(target, ['-o', 'bind,ro', o.lower[0]!, target]);
  let data = overlayOptions(o);
  let cwd: string | undefined;
  if (data.length > MOUNT_DATA_MAX - 3) {
    // Deep images overflow the page with absolute paths. The kernel resolves relative
    // lowerdirs against the mounting process's cwd, so mount from the snapshots' common
    // parent and name each layer by `<chainID hex>/fs` (containerd does the same).
    cwd = commonParent(o.lower);
    data = overlayOptions({ ...o, lower: o.lower.map((l) => relative(cwd!, l)) });
    if (data.length > MOUNT_DATA_MAX - 3) {
      throw new Error(`mount overlay at \`${target}\`: ${o.lower.length} layers need ${data.length} bytes of mount options, over the kernel's one-page limit`);
    }
  }
  await mountWith(target, ['-t', 'overlay', 'overlay', '-o', o.upper ? data : `ro,${data}`, target], cwd);
}

function commonParent(paths: readonly string[]): string {
  let prefix = dirname(paths[0]!);
  while (!paths.every((p) => p.startsWith(`${prefix}/`)) && prefix !== '/') prefix = dirname(prefix);
  return prefix;
}

async function mountWith(target: string, args: string[], cwd?: string): Promise<void> {
  try {
    await run('mount', args, { cwd });
  } catch (err) {
    throw new Error(`mount overlay at \`${target}\`: ${((err as { stderr?: string }).stderr ?? String(err)).trim()}`, { cause: err });
  }
}

/** Unmounts what `mountOverlay` mounted. */
export async function unmountOverlay(target: string): Promise<void> {
  try {
    await run('umount', [target]);
  } catch (err) {
    throw new Error(`unmount overlay at \`${target}\`: ${((err as { stderr?: string }).stderr ?? String(err)).trim()}`, { cause: err });
  }
}
