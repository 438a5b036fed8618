// The subset of the OCI runtime-spec config.json (v1.x, Linux) that Skiff reads.
// Field names and meanings are the spec's; see opencontainers/runtime-spec config.md and
// config-linux.md. Fields not listed here are ignored the way runc ignores them.

export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts?: OciMount[];
  annotations?: Record<string, string>;
  /** Refused when non-empty: Skiff runs no OCI hooks. */
  hooks?: Record<string, unknown[]>;
  linux?: OciLinux;
}

export interface OciProcess {
  terminal?: boolean;
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: {
    bounding?: string[];
    effective?: string[];
    inheritable?: string[];
    permitted?: string[];
    ambient?: string[];
  };
  rlimits?: { type: string; soft: number; hard: number }[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciLinux {
  namespaces?: { type: string; path?: string }[];
  uidMappings?: unknown[];
  gidMappings?: unknown[];
  devices?: {
    path: string;
    type: 'c' | 'b' | 'u' | 'p';
    major?: number;
    minor?: number;
    fileMode?: number;
    uid?: number;
    gid?: number;
  }[];
  cgroupsPath?: string;
  resources?: OciResources;
  rootfsPropagation?: string;
  seccomp?: OciSeccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** Refused when set (not carried out by the plan). */
  intelRdt?: unknown;
  personality?: unknown;
  timeOffsets?: unknown;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number | null;
  minor?: number | null;
  access?: string;
}

export interface OciResources {
  devices?: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  /** Refused when set: Skiff does not apply these (blkio, hugetlb, rdma, net_cls/net_prio). */
  blockIO?: unknown;
  hugepageLimits?: unknown[];
  rdma?: unknown;
  network?: unknown;
  /** cgroup v2 files written as-is (key = file name), as in the spec's `unified` map. */
  unified?: Record<string, string>;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSeccompRule[];
}

export interface OciSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}
