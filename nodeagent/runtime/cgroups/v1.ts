// cgroup v1 (and hybrid): one directory per hierarchy, limits in each controller's own files.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OciDeviceRule, OciResources } from '../oci-spec.js';
import { readCgroupFile, readKeyedFile, readPids, writeCgroupFile } from './files.js';

/** The hierarchy key ('cpu,cpuacct') whose dir carries controller `name`, if mounted. */
export function hierarchyFor(dirs: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(dirs).find((k) => k.split(',').includes(name));
  return key === undefined ? undefined : dirs[key];
}

/**
 * Creates the directories. A fresh cpuset cgroup has empty cpus/mems and refuses tasks,
 * so every cpuset level created here copies them from its parent first (as runc does).
 */
export function makeV1Dirs(dirs: Record<string, string>): void {
  for (const [key, dir] of Object.entries(dirs)) {
    if (!key.split(',').includes('cpuset')) {
      mkdirSync(dir, { recursive: true });
      continue;
    }
    const missing: string[] = [];
    for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
    for (const d of missing) {
      mkdirSync(d);
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if ((readCgroupFile(d, file) ?? '').trim() === '') {
          writeCgroupFile(d, file, (readCgroupFile(dirname(d), file) ?? '').trim());
        }
      }
    }
  }
}

/** Writes the resources into the v1 controller files. */
export function applyV1Resources(dirs: Record<string, string>, res: OciResources | undefined, extraDeviceRules: OciDeviceRule[]): void {
  const memory = hierarchyFor(dirs, 'memory');
  if (memory && res?.memory) {
    const m = res.memory;
    if (m.limit !== undefined) writeCgroupFile(memory, 'memory.limit_in_bytes', m.limit);
    // OCI swap is memory+swap, which is exactly memsw; the file is absent without swap accounting.
    if (m.swap !== undefined && existsSync(`${memory}/memory.memsw.limit_in_bytes`)) {
      writeCgroupFile(memory, 'memory.memsw.limit_in_bytes', m.swap);
    }
    if (m.reservation !== undefined) writeCgroupFile(memory, 'memory.soft_limit_in_bytes', m.reservation);
    if (m.disableOOMKiller) writeCgroupFile(memory, 'memory.oom_control', 1);
  }
  const cpu = hierarchyFor(dirs, 'cpu');
  if (cpu && res?.cpu) {
    const c = res.cpu;
    if (c.shares !== undefined) writeCgroupFile(cpu, 'cpu.shares', c.shares);
    // Period before quota: the kernel checks quota against the current period.
    if (c.period !== undefined) writeCgroupFile(cpu, 'cpu.cfs_period_us', c.period);
    if (c.quota !== undefined) writeCgroupFile(cpu, 'cpu.cfs_quota_us', c.quota > 0 ? c.quota : -1);
  }
  const cpuset = hierarchyFor(dirs, 'cpuset');
  if (cpuset && res?.cpu?.cpus) writeCgroupFile(cpuset, 'cpuset.cpus', res.cpu.cpus);
  if (cpuset && res?.cpu?.mems) writeCgroupFile(cpuset, 'cpuset.mems', res.cpu.mems);
  const pids = hierarchyFor(dirs, 'pids');
  if (pids && res?.pids) writeCgroupFile(pids, 'pids.max', res.pids.limit > 0 ? res.pids.limit : 'max');
  const devices = hierarchyFor(dirs, 'devices');
  if (devices && res?.devices) {
    for (const rule of [...res.devices, ...extraDeviceRules]) {
      writeCgroupFile(devices, rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleLine(rule));
    }
  }
}

/** `c 1:3 rwm` / `a *:* rwm` as devices.allow and devices.deny take them. */
export function deviceRuleLine(rule: OciDeviceRule): string {
  const type = rule.type ?? 'a';
  if (type === 'a') return 'a';
  const num = (n: number | null | undefined) => (n === undefined || n === null || n < 0 ? '*' : String(n));
  return `${type} ${num(rule.major)}:${num(rule.minor)} ${rule.access || 'rwm'}`;
}

/** OOM kills counted in memory.oom_control (`oom_kill N`, kernel 4.13+). */
export function readV1OomKills(dirs: Record<string, string>): number {
  const memory = hierarchyFor(dirs, 'memory');
  return memory ? (readKeyedFile(memory, 'memory.oom_control').get('oom_kill') ?? 0) : 0;
}

/**
 * SIGKILLs every process in the container's cgroup. With the freezer, the cgroup is
 * frozen first so nothing can fork between reading cgroup.procs and the kills.
 */
export async function killV1(dirs: Record<string, string>): Promise<void> {
  const freezer = hierarchyFor(dirs, 'freezer');
  const source = freezer ?? hierarchyFor(dirs, 'pids') ?? hierarchyFor(dirs, 'memory') ?? Object.values(dirs)[0];
  if (!source || !existsSync(source)) return;
  if (freezer) {
    writeCgroupFile(freezer, 'freezer.state', 'FROZEN');
    for (let i = 0; i < 200 && (readCgroupFile(freezer, 'freezer.state') ?? '').trim() === 'FREEZING'; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  try {
    for (const pid of readPids(source)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  } finally {
    // A frozen task cannot die; thaw so the kills are delivered.
    if (freezer) writeCgroupFile(freezer, 'freezer.state', 'THAWED');
  }
}
