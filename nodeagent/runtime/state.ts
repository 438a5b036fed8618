// Container state on disk, one directory per container under the runtime root:
//
//   <root>/<id>/state.json     written by TypeScript (this file): who the container is
//   <root>/<id>/config.json    the spec it was created from (exec reuses its security settings)
//   <root>/<id>/container.log  CRI log, written by the monitor (unless the caller chose a path)
//   <root>/<id>/monitor/       the monitor's own files: exec.fifo, pids, exit.json (native)
//
// state.json is replaced atomically (write to a temp file, rename), so a reader (another
// agent, `skiff oci state`) never sees half of it. Everything a restarted agent needs to
// re-adopt a container is here: the init pid with its start time (pids are reused), the
// monitor pid, and the cgroup directories.
import { readFileSync, renameSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupHandle } from './cgroups/cgroup.js';

export type ContainerStatusName = 'creating' | 'created' | 'running' | 'stopped';

export interface ContainerState {
  ociVersion: string;
  id: string;
  bundle: string;
  /** Init pid as seen from the host; 0 before it exists. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat at creation: tells our init from a reused pid. */
  pidStartTime: number;
  monitorPid: number;
  monitorStartTime: number;
  /** RFC 3339 creation time. */
  created: string;
  /** Set once `start` released the init. */
  started?: string;
  annotations: Record<string, string>;
  cgroup: CgroupHandle;
  /** CRI log file the monitor writes, when the container logs (not for `oci run` in a terminal). */
  logPath?: string;
  /** OOM kills already counted in the cgroup before this container (a reused path). */
  oomKillsAtCreate: number;
  /** Set when a stop escalated to SIGKILL, to tell a stop from an OOM kill. */
  killedByStop?: boolean;
}

export const STATE_FILE = 'state.json';

/** Directory of container `id` under `root`; ids are checked so they cannot climb out. */
export function containerDir(root: string, id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) {
    throw new Error(`container id ${JSON.stringify(id)}: use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit`);
  }
  return join(root, id);
}

/** Atomically replaces state.json. */
export function writeState(dir: string, state: ContainerState): void {
  const tmp = join(dir, `.${STATE_FILE}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, join(dir, STATE_FILE));
}

/** Reads state.json; undefined when the container does not exist. */
export function readState(dir: string): ContainerState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as ContainerState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`read container state ${join(dir, STATE_FILE)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Ids of the containers with a state.json under `root`. */
export function listContainerIds(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, STATE_FILE)))
    .map((e) => e.name)
    .sort();
}

/** Start time of `pid` (clock ticks since boot), or undefined if it does not exist. */
export function processStartTime(pid: number): number | undefined {
  if (!(pid > 0)) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: fields restart after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]); // field 22 overall
  } catch {
    return undefined;
  }
}

/** True if `pid` is alive and is the same process that started at `startTime` (not a zombie). */
export function isSameProcess(pid: number, startTime: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && Number(fields[19]) === startTime;
  } catch {
    return false;
  }
}
