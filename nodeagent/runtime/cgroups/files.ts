// Small helpers for cgroupfs files: writes that say which file and value failed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `value` to `dir/file`; the error names both, with the kernel's reason kept as cause. */
export function writeCgroupFile(dir: string, file: string, value: string | number): void {
  try {
    writeFileSync(join(dir, file), String(value));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw Object.assign(new Error(`write cgroup ${join(dir, file)} = ${value}: ${e.code ?? e.message}`, { cause: err }), { code: e.code });
  }
}

/** Reads a cgroup file, or undefined when it does not exist (controller absent, cgroup gone). */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads `key value` lines (memory.events, memory.oom_control, cgroup.events). */
export function readKeyedFile(dir: string, file: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of (readCgroupFile(dir, file) ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}

/** Pids listed in `dir/cgroup.procs` (empty when the cgroup is gone). */
export function readPids(dir: string): number[] {
  return (readCgroupFile(dir, 'cgroup.procs') ?? '').split('\n').filter(Boolean).map(Number);
}
