// Which cgroup layout the host has and where each hierarchy is mounted.
//
// Mode follows the statfs rule systemd, runc and crun use (runtime-notes §2.5), never
// "is cgroup2 mounted somewhere": /sys/fs/cgroup itself being cgroup2 means unified (v2);
// tmpfs means v1, and a cgroup2 mount at /sys/fs/cgroup/unified makes it hybrid. Hybrid
// is driven exactly like v1: in hybrid mode the v2 mount carries no controller we use.
import { readFileSync, statfsSync } from 'node:fs';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

/** Controller names a v1 hierarchy can carry (plus named hierarchies `name=...`). */
const V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

/** Reads the mode of the cgroup tree mounted at `root`. */
export function detectCgroupMode(root = '/sys/fs/cgroup'): CgroupMode {
  const type = statfsSync(root).type;
  if (type === CGROUP2_SUPER_MAGIC) return 'v2';
  if (type !== TMPFS_MAGIC) {
    throw new Error(`detect cgroup mode ${root}: filesystem type 0x${type.toString(16)} is neither cgroup2 nor tmpfs; mount cgroups there`);
  }
  try {
    if (statfsSync(`${root}/unified`).type === CGROUP2_SUPER_MAGIC) return 'hybrid';
  } catch {
    // no unified mount: plain v1
  }
  return 'v1';
}

export interface CgroupMount {
  mountPoint: string;
  /** The cgroup path the mount shows as its root ('/' unless inside a cgroup namespace). */
  root: string;
  version: 1 | 2;
  /** v1: controllers and `name=` of the hierarchy, sorted; v2: empty. */
  controllers: string[];
}

function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text into the cgroup mounts it lists. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 0) continue;
    const fsType = fields[dash + 1];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const superOptions = (fields[dash + 3] ?? '').split(',');
    mounts.push({
      mountPoint: unescapeMountField(fields[4]!),
      root: unescapeMountField(fields[3]!),
      version: fsType === 'cgroup2' ? 2 : 1,
      controllers: fsType === 'cgroup2' ? [] : superOptions.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name=')).sort(),
    });
  }
  return mounts;
}

/** Parses /proc/<pid>/cgroup: key = sorted controller list ('' for the v2 line), value = path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    const controllers = line.slice(first + 1, second).split(',').filter(Boolean).sort().join(',');
    paths.set(controllers, line.slice(second + 1));
  }
  return paths;
}

/** Everything the cgroup code needs to know about the host, read once. */
export interface CgroupEnv {
  mode: CgroupMode;
  /** v1/hybrid: one per controller hierarchy; v2: the single unified mount. */
  mounts: CgroupMount[];
  /** This process's own cgroup per hierarchy (keyed like parseProcCgroup), for relative paths. */
  ownPaths: Map<string, string>;
}

/** Reads the host's layout from /sys/fs/cgroup and /proc/self. */
export function readCgroupEnv(): CgroupEnv {
  const mode = detectCgroupMode();
  const all = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  const mounts = mode === 'v2'
    ? all.filter((m) => m.version === 2 && m.mountPoint === '/sys/fs/cgroup')
    : dedupeHierarchies(all.filter((m) => m.version === 1 && m.controllers.length > 0));
  return { mode, mounts, ownPaths: parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')) };
}

/** A hierarchy mounted twice (bind mounts) is used once, at its first mount point. */
function dedupeHierarchies(mounts: CgroupMount[]): CgroupMount[] {
  const seen = new Set<string>();
  return mounts.filter((m) => {
    const key = m.controllers.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
