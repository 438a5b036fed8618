// A container's cgroup as one handle over v1's many directories or v2's one: create it
// with limits before the container's first process exists, count OOM kills, kill
// everything in it, and remove it.
import { rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OciDeviceRule, OciResources } from '../oci-spec.js';
import type { CgroupEnv } from './detect.js';
import { readPids } from './files.js';
import { resolveCgroupPath } from './path.js';
import { applyV1Resources, killV1, makeV1Dirs, readV1OomKills } from './v1.js';
import { applyV2Resources, killV2, makeV2Dir, readV2OomKills } from './v2.js';

/** Serializable (it lives in state.json): enough to find, kill and remove the cgroup later. */
export interface CgroupHandle {
  version: 1 | 2;
  /** The resolved cgroupsPath, e.g. /skiff/abc. */
  path: string;
  /** v1: directory per hierarchy keyed by its controllers ('cpu,cpuacct'); v2: { '': dir }. */
  dirs: Record<string, string>;
  /** v2 only: the mount point, where controller enabling starts. */
  mountPoint?: string;
}

/** Computes where container `id`'s cgroup goes (see path.ts for the rule); touches nothing. */
export function planCgroup(env: CgroupEnv, cgroupsPath: string | undefined, id: string): CgroupHandle {
  if (env.mounts.length === 0) throw new Error(`plan cgroup for ${id}: no cgroup hierarchy is mounted under /sys/fs/cgroup`);
  if (env.mode === 'v2') {
    const mount = env.mounts[0]!;
    const path = resolveCgroupPath(cgroupsPath, id, env.ownPaths.get('') ?? '/');
    return { version: 2, path, dirs: { '': join(mount.mountPoint, path) }, mountPoint: mount.mountPoint };
  }
  const dirs: Record<string, string> = {};
  let path = '';
  for (const mount of env.mounts) {
    const key = mount.controllers.join(',');
    path = resolveCgroupPath(cgroupsPath, id, env.ownPaths.get(key) ?? '/');
    dirs[key] = join(mount.mountPoint, path);
  }
  return { version: 1, path, dirs };
}

/** The cgroup.procs files the native side writes the container's pid into. */
export function cgroupProcsFiles(handle: CgroupHandle): string[] {
  return Object.values(handle.dirs).map((d) => join(d, 'cgroup.procs'));
}

/**
 * Creates the directories and writes the limits. On failure removes what it created and
 * throws, so a refused limit never leaves a half-configured cgroup behind.
 */
export async function createCgroup(handle: CgroupHandle, resources: OciResources | undefined, extraDeviceRules: OciDeviceRule[] = []): Promise<void> {
  try {
    if (handle.version === 2) {
      makeV2Dir(handle.mountPoint!, handle.dirs['']!);
      applyV2Resources(handle.dirs['']!, resources);
    } else {
      makeV1Dirs(handle.dirs);
      applyV1Resources(handle.dirs, resources, extraDeviceRules);
    }
  } catch (err) {
    await destroyCgroup(handle, 2000).catch(() => undefined);
    throw err;
  }
}

/** OOM kills recorded for this container's cgroup so far; read it before destroyCgroup. */
export function readOomKills(handle: CgroupHandle): number {
  return handle.version === 2 ? readV2OomKills(handle.dirs['']!) : readV1OomKills(handle.dirs);
}

/** Pids currently in the cgroup. */
export function cgroupPids(handle: CgroupHandle): number[] {
  const seen = new Set<number>();
  for (const dir of Object.values(handle.dirs)) for (const pid of readPids(dir)) seen.add(pid);
  return [...seen];
}

/** SIGKILLs every process in the cgroup (v2 cgroup.kill, v1 freezer + kill). */
export async function killCgroup(handle: CgroupHandle): Promise<void> {
  if (handle.version === 2) await killV2(handle.dirs['']!);
  else await killV1(handle.dirs);
}

/**
 * Kills what is left, waits until the cgroup is empty and removes its directories,
 * retrying rmdir while the kernel still reports EBUSY (exiting tasks, runc #4040).
 * Idempotent: a cgroup already gone is success.
 */
export async function destroyCgroup(handle: CgroupHandle, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    if (cgroupPids(handle).length > 0) await killCgroup(handle).catch((e) => { lastError = e; });
    let remaining = 0;
    for (const dir of Object.values(handle.dirs)) {
      try {
        rmdirSync(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        if (code !== 'EBUSY' && code !== 'ENOTEMPTY') throw err;
        lastError = err;
        remaining++;
      }
    }
    if (remaining === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`remove cgroup ${handle.path}: still busy after ${timeoutMs} ms (${cgroupPids(handle).length} processes left)`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 100)));
  }
}
