// The plan: everything the native addon needs to build one container, fully resolved by
// TypeScript (nodeagent/runtime). The addon carries it out step by step and decides
// nothing. It is plain data, so policy is tested by asserting on plans without root.
//
// Shapes follow the OCI runtime spec where they can; where the spec leaves a choice
// (flags as strings, relative paths, defaults) the plan has already made it.

/** Namespace kinds, by their OCI names. */
export type NamespaceType = 'pid' | 'mount' | 'uts' | 'ipc' | 'network' | 'cgroup' | 'user';

export interface PlanNamespace {
  type: NamespaceType;
  /** Join this existing namespace (e.g. the pod's /run/skiff/netns/<pod>) instead of creating one. */
  path?: string;
}

export interface PlanMount {
  /** Absolute path inside the container; resolved inside the rootfs without following symlinks out. */
  destination: string;
  /** Host path for binds, or a name ('proc', 'tmpfs', ...) for filesystems. */
  source: string;
  /** Filesystem type ('proc', 'tmpfs', 'devpts', 'mqueue', 'sysfs', 'cgroup', 'bind' for binds). */
  type: string;
  /** mount(2) flags, already computed from the OCI option strings (MS_NOSUID | MS_NODEV ...). */
  flags: number;
  /** Propagation flags applied after the mount (MS_PRIVATE, MS_SLAVE, MS_SHARED, with MS_REC), 0 for none. */
  propagation: number;
  /** The data string passed to mount(2) ('mode=755,size=65536k'). */
  data: string;
  /** A bind whose flags include MS_RDONLY etc. needs a second MS_REMOUNT pass; the addon does it when true. */
  remount: boolean;
}

export interface PlanDevice {
  /** Absolute path inside the container, e.g. /dev/null. */
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  /** Permission bits, e.g. 0o666. */
  mode: number;
  uid: number;
  gid: number;
}

export interface PlanRlimit {
  /** RLIMIT_* number (RLIMIT_NOFILE = 7). */
  resource: number;
  soft: number;
  hard: number;
}

/** Capability sets as 64-bit masks (bit n = capability number n). */
export interface PlanCapabilities {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

export interface PlanProcess {
  /** argv; args[0] is looked up in PATH from env when it has no slash, as runc does. */
  args: string[];
  /** KEY=value strings. */
  env: string[];
  /** Absolute working directory inside the container. */
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  /** File mode creation mask; undefined keeps 0022. */
  umask?: number;
  noNewPrivileges: boolean;
  capabilities: PlanCapabilities;
  rlimits: PlanRlimit[];
  oomScoreAdj?: number;
  /** Allocate a pty inside the container and make it the process's controlling terminal. */
  terminal: boolean;
}

export interface PlanRootfs {
  /** The directory that becomes `/`. For an overlay, the mount point the addon mounts it on. */
  path: string;
  /** Mount the root read-only after setup. */
  readonly: boolean;
  /** When set, mount overlayfs at `path` first: lowerdirs top-most first, as overlayfs wants them. */
  overlay?: { lower: string[]; upper: string; work: string };
  /** Propagation for `/` inside the container (MS_PRIVATE | MS_REC by default). */
  propagation: number;
}

/** Where the container's stdio goes and who watches it. */
export interface PlanIo {
  /**
   * 'log': the monitor reads stdout/stderr and appends CRI-format lines to logPath.
   * 'inherit': the container uses the given fds (skiff oci run in the foreground).
   */
  mode: 'log' | 'inherit';
  logPath?: string;
  /** With mode 'inherit': fds to become the container's 0, 1, 2. */
  stdio?: [number, number, number];
}

export interface ContainerPlan {
  /** Container id, used in errors and state paths. */
  id: string;
  rootfs: PlanRootfs;
  namespaces: PlanNamespace[];
  /** In order; each destination's parents are created inside the rootfs when missing. */
  mounts: PlanMount[];
  /** Device nodes created in /dev (after /dev is mounted). */
  devices: PlanDevice[];
  /** Symlinks created in /dev: [linkPath, target], e.g. ['/dev/fd', '/proc/self/fd']. */
  devSymlinks: [string, string][];
  maskedPaths: string[];
  readonlyPaths: string[];
  hostname?: string;
  domainname?: string;
  /** Written under /proc/sys before it becomes read-only: 'net.ipv4.ip_forward' -> '1'. */
  sysctl: Record<string, string>;
  process: PlanProcess;
  /** Compiled classic-BPF program (struct sock_filter[], 8 bytes each), loaded with SECCOMP_SET_MODE_FILTER. */
  seccomp?: { program: Buffer; flags: number };
  /**
   * Every `cgroup.procs` file the child's pid is written to before it runs a single
   * container step (one per v1 hierarchy, one on v2). The directories and limits are
   * prepared by TypeScript beforehand.
   */
  cgroupProcs: string[];
  /**
   * cgroup.procs files the monitor moves itself into before cloning the init. Keeps
   * monitors out of the agent's own cgroup, so stopping the agent's systemd unit
   * (KillMode=control-group) does not kill them and cut the containers' log pipes.
   */
  monitorCgroupProcs?: string[];
  /** Directory for this container's runtime files (pid, exit status, sockets). */
  stateDir: string;
  /**
   * Give up when setup has not finished after this many ms (a hung mount source, a frozen
   * cgroup): create fails with ETIMEDOUT at step 'init.sync' and the init is killed.
   * Undefined or 0: wait forever.
   */
  setupTimeoutMs?: number;
  io: PlanIo;
}

/**
 * One more process in a running container (kubectl exec, exec probes). The helper joins
 * the init's namespaces (read from /proc/<pid>/ns/<type>) and cgroups, then runs
 * `process` with the same security settings a container process gets.
 */
export interface ExecPlan {
  /** Host pid of the container's init. */
  pid: number;
  /** The init's start time (CreatedContainer.startTime): the exec fails with ESRCH if pid was recycled. */
  startTime?: number;
  /** Namespaces to join, in this order (normally those the container was created with). */
  namespaces: NamespaceType[];
  /** cgroup.procs files the process is placed in before it starts (the container's). */
  cgroupProcs: string[];
  process: PlanProcess;
  seccomp?: { program: Buffer; flags: number };
  /** fds to become the process's 0, 1, 2; a missing or negative entry gets a new pipe. */
  stdio?: [number, number, number];
}
