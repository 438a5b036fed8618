// Test-only plans: what `runc spec` would give a busybox rootfs, as a ContainerPlan, plus
// cgroup v1 directories the tests create and remove under /sys/fs/cgroup/<ctrl>/skiff-native-test.
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, existsSync, readFileSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../harness/busybox.js';
import type { ContainerPlan, ExecPlan, PlanProcess } from '../../native/plan.js';

export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, REC: 16384,
  PRIVATE: 1 << 18, SLAVE: 1 << 19, RELATIME: 1 << 21, STRICTATIME: 1 << 24,
} as const;

const CAP_KILL = 5n, CAP_NET_BIND_SERVICE = 10n, CAP_AUDIT_WRITE = 29n;
const DEFAULT_CAPS = (1n << CAP_KILL) | (1n << CAP_NET_BIND_SERVICE) | (1n << CAP_AUDIT_WRITE);

export function defaultProcess(args: string[]): PlanProcess {
  return {
    args,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    cwd: '/',
    uid: 0,
    gid: 0,
    additionalGids: [],
    noNewPrivileges: true,
    capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS, inheritable: 0n, ambient: 0n },
    rlimits: [{ resource: 7, soft: 1024, hard: 1024 }],
    terminal: false,
  };
}

const CONTROLLERS = ['cpu', 'memory', 'pids', 'freezer'];
const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** True on a cgroup v2 (unified) host; false on v1 or hybrid (this build machine). */
export const unifiedHost = statfsSync(CGROUP_ROOT).type === CGROUP2_SUPER_MAGIC;
/** Where a cgroup2 test directory can go: the host's root on v2, the unified mount on hybrid. */
export const cgroup2Root: string | undefined = unifiedHost
  ? CGROUP_ROOT
  : existsSync(join(CGROUP_ROOT, 'unified', 'cgroup.procs')) ? join(CGROUP_ROOT, 'unified') : undefined;

/** One test container's scratch space: rootfs, state dir, log, cgroups. `cleanup` removes all of it. */
export class Sandbox {
  readonly dir: string;
  readonly rootfs: string;
  readonly stateDir: string;
  readonly logPath: string;
  readonly cgroupDirs: string[];

  constructor(readonly name: string, rootfs?: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'skiff-native-test-'));
    this.rootfs = rootfs ?? makeBusyboxRootfs(join(this.dir, 'rootfs'));
    this.stateDir = join(this.dir, 'state');
    mkdirSync(this.stateDir);
    this.logPath = join(this.dir, 'container.log');
    const leaf = `${name}-${process.pid}`;
    this.cgroupDirs = unifiedHost
      ? [join(CGROUP_ROOT, 'skiff-native-test', leaf)]
      : CONTROLLERS.filter((c) => existsSync(join(CGROUP_ROOT, c))).map((c) => join(CGROUP_ROOT, c, 'skiff-native-test', leaf));
    if (this.cgroupDirs.length === 0) throw new Error('no cgroup hierarchy found under /sys/fs/cgroup');
    for (const d of this.cgroupDirs) mkdirSync(d, { recursive: true });
  }

  plan(args: string[], overrides: Partial<ContainerPlan> = {}): ContainerPlan {
    return {
      id: this.name,
      rootfs: { path: this.rootfs, readonly: false, propagation: MS.REC | MS.SLAVE },
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
      mounts: [
        { destination: '/proc', source: 'proc', type: 'proc', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, propagation: 0, data: '', remount: false },
        { destination: '/dev', source: 'tmpfs', type: 'tmpfs', flags: MS.NOSUID | MS.STRICTATIME, propagation: 0, data: 'mode=755,size=65536k', remount: false },
        { destination: '/dev/pts', source: 'devpts', type: 'devpts', flags: MS.NOSUID | MS.NOEXEC, propagation: 0, data: 'newinstance,ptmxmode=0666,mode=0620,gid=5', remount: false },
        { destination: '/dev/shm', source: 'shm', type: 'tmpfs', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, propagation: 0, data: 'mode=1777,size=65536k', remount: false },
        { destination: '/dev/mqueue', source: 'mqueue', type: 'mqueue', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, propagation: 0, data: '', remount: false },
        { destination: '/sys', source: 'sysfs', type: 'sysfs', flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, propagation: 0, data: '', remount: false },
      ],
      devices: [
        ['null', 3], ['zero', 5], ['full', 7], ['random', 8], ['urandom', 9],
      ].map(([n, minor]) => ({ path: `/dev/${n}`, type: 'c' as const, major: 1, minor: minor as number, mode: 0o666, uid: 0, gid: 0 }))
        .concat([{ path: '/dev/tty', type: 'c', major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0 }]),
      devSymlinks: [
        ['/dev/ptmx', 'pts/ptmx'], ['/dev/fd', '/proc/self/fd'], ['/dev/stdin', '/proc/self/fd/0'],
        ['/dev/stdout', '/proc/self/fd/1'], ['/dev/stderr', '/proc/self/fd/2'],
      ],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      hostname: this.name,
      sysctl: {},
      process: defaultProcess(args),
      cgroupProcs: this.cgroupDirs.map((d) => join(d, 'cgroup.procs')),
      stateDir: this.stateDir,
      io: { mode: 'log', logPath: this.logPath },
      ...overrides,
    };
  }

  execPlan(pid: number, args: string[], overrides: Partial<ExecPlan> = {}): ExecPlan {
    return {
      pid,
      namespaces: ['ipc', 'uts', 'network', 'pid', 'mount'],
      cgroupProcs: this.cgroupDirs.map((d) => join(d, 'cgroup.procs')),
      process: defaultProcess(args),
      ...overrides,
    };
  }

  /** Pids still in this sandbox's cgroups (anything left after cleanup is a leak). */
  cgroupPids(): number[] {
    const d = this.cgroupDirs[0];
    if (!d || !existsSync(d)) return [];
    return readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  }

  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /** Kills whatever is left in the cgroups, removes them and the temp dir. */
  async cleanup(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const pids = this.cgroupPids();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const d of this.cgroupDirs) {
      for (let i = 0; i < 50 && existsSync(d); i++) {
        try {
          rmdirSync(d);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Removes the shared parent cgroups once no test uses them. */
export function removeTestCgroupParents(): void {
  for (const c of [...CONTROLLERS, 'unified', '.']) {
    try {
      rmdirSync(join(CGROUP_ROOT, c, 'skiff-native-test'));
    } catch {
      /* in use by a parallel run, or never created */
    }
  }
}

