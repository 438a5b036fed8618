// cgroup v2: one directory; controllers must be enabled in every ancestor's subtree_control.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, relative, join } from 'node:path';
import type { OciResources } from '../oci-spec.js';
import { readCgroupFile, readKeyedFile, readPids, writeCgroupFile } from './files.js';

/** Controllers Skiff uses on v2, enabled in ancestors when the host offers them. */
const WANTED = ['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb'];

/**
 * cpu.shares (2..262144) to cpu.weight (1..10000), the linear mapping Kubernetes uses
 * (kubelet CpuSharesToCpuWeight) so a pod's relative weight is the same on v1 and v2.
 */
export function sharesToWeight(shares: number): number {
  if (shares <= 0) return 100; // unset: the kernel default
  const clamped = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((clamped - 2) * 9999) / 262142);
}

/** The `cpu.max` line for a quota/period pair ("max 100000" when unlimited). */
export function cpuMaxLine(quota: number | undefined, period: number | undefined): string {
  return `${quota !== undefined && quota > 0 ? quota : 'max'} ${period ?? 100000}`;
}

/**
 * Creates `dir` under `mountPoint`, enabling the wanted controllers level by level from
 * the mount down to the parent of `dir` (a controller must be enabled in a cgroup's
 * parent before the cgroup has its files). A level whose cgroup.controllers cannot be
 * read has, by the kernel's rule, what its parent enabled.
 */
export function makeV2Dir(mountPoint: string, dir: string): void {
  const levels = [mountPoint];
  for (const part of relative(mountPoint, dirname(dir)).split('/').filter(Boolean)) {
    levels.push(join(levels[levels.length - 1]!, part));
  }
  let inherited: string[] = [];
  for (const level of levels) {
    mkdirSync(level, { recursive: true });
    const listed = readCgroupFile(level, 'cgroup.controllers');
    const available = listed === undefined ? inherited : listed.trim().split(/\s+/).filter(Boolean);
    const enable = WANTED.filter((c) => available.includes(c));
    const current = (readCgroupFile(level, 'cgroup.subtree_control') ?? '').trim().split(/\s+/);
    const missing = enable.filter((c) => !current.includes(c));
    if (missing.length > 0) writeCgroupFile(level, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
    inherited = enable;
  }
  mkdirSync(dir, { recursive: true });
}

/** Writes the resources into the v2 interface files. */
export function applyV2Resources(dir: string, res: OciResources | undefined): void {
  const m = res?.memory;
  if (m?.limit !== undefined) writeCgroupFile(dir, 'memory.max', m.limit > 0 ? m.limit : 'max');
  if (m?.reservation !== undefined) writeCgroupFile(dir, 'memory.low', m.reservation);
  // OCI swap is memory+swap; v2 limits swap alone.
  if (m?.swap !== undefined && m.limit !== undefined && m.swap > 0 && m.limit > 0) {
    writeCgroupFile(dir, 'memory.swap.max', Math.max(m.swap - m.limit, 0));
  }
  // One OOM kill takes the whole container down, as kubelet sets it on v2.
  if (m?.limit !== undefined) writeCgroupFile(dir, 'memory.oom.group', 1);
  const c = res?.cpu;
  if (c?.shares !== undefined) writeCgroupFile(dir, 'cpu.weight', sharesToWeight(c.shares));
  if (c?.quota !== undefined || c?.period !== undefined) writeCgroupFile(dir, 'cpu.max', cpuMaxLine(c.quota, c.period));
  if (c?.cpus) writeCgroupFile(dir, 'cpuset.cpus', c.cpus);
  if (c?.mems) writeCgroupFile(dir, 'cpuset.mems', c.mems);
  if (res?.pids) writeCgroupFile(dir, 'pids.max', res.pids.limit > 0 ? res.pids.limit : 'max');
  for (const [file, value] of Object.entries(res?.unified ?? {})) {
    if (file.includes('/')) throw new Error(`linux.resources.unified: ${file} is not a file name`);
    writeCgroupFile(dir, file, value);
  }
}

/** OOM kills counted in this cgroup's memory.events (not the ancestors': containerd PR #6323). */
export function readV2OomKills(dir: string): number {
  return readKeyedFile(dir, 'memory.events').get('oom_kill') ?? 0;
}

/** SIGKILLs the whole subtree: cgroup.kill (5.14+), else each listed pid. */
export async function killV2(dir: string): Promise<void> {
  if (existsSync(join(dir, 'cgroup.kill'))) {
    writeCgroupFile(dir, 'cgroup.kill', 1);
    return;
  }
  for (const pid of readPids(dir)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}
