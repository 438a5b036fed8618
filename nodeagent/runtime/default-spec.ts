// The config a Kubernetes user gets from containerd for a pod container, built as an
// OCI spec so it is readable, diffable and runnable by runc too: containerd's default
// capabilities, masked and read-only paths, mounts and a deny-all device cgroup, plus
// the RuntimeDefault seccomp profile. planFromSpec then turns it into a plan.
import { capabilityName, DEFAULT_CAPABILITIES } from './capabilities.js';
import type { OciMount, OciResources, OciSpec } from './oci-spec.js';
import { defaultSeccompProfile } from './seccomp/default-profile.js';

/** containerd's maskedPaths (oci/spec.go). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/sys/devices/virtual/powercap', '/proc/scsi',
];

/** containerd's readonlyPaths. */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** containerd's default mounts, plus the read-only /sys/fs/cgroup the CRI plugin adds. */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

export interface ContainerDefaults {
  /** Container id; also the last element of the default cgroup path. */
  id: string;
  /** Absolute path of the prepared root filesystem. */
  rootfs: string;
  args: string[];
  env?: string[];
  cwd?: string;
  hostname?: string;
  uid?: number;
  gid?: number;
  additionalGids?: number[];
  terminal?: boolean;
  /** securityContext.capabilities.add / drop (names with or without CAP_, 'ALL' allowed in drop). */
  capabilitiesAdd?: string[];
  capabilitiesDrop?: string[];
  /** securityContext.allowPrivilegeEscalation; Kubernetes' default is true (no_new_privs off). */
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  /** 'RuntimeDefault' (Skiff's default) or 'Unconfined'. */
  seccomp?: 'RuntimeDefault' | 'Unconfined';
  /** Memory limit in bytes (resources.limits.memory). */
  memoryLimit?: number;
  /** CPU request in millicores: cpu.shares = milli * 1024 / 1000 (kubelet MilliCPUToShares). */
  cpuRequestMilli?: number;
  /** CPU limit in millicores: quota = milli * period / 1000 (kubelet MilliCPUToQuota). */
  cpuLimitMilli?: number;
  pidsLimit?: number;
  /** cgroup parent, e.g. /skiff/pod<uid>; the container's cgroup is <parent>/<id>. */
  cgroupParent?: string;
  /** Namespaces to join instead of create (the pod sandbox's), by OCI type. */
  joinNamespaces?: Partial<Record<'network' | 'ipc' | 'uts' | 'pid', string>>;
  /** Give the container its own cgroup namespace (containerd does on cgroup v2 hosts). */
  cgroupNamespace?: boolean;
  /** Extra mounts (volumes), appended after the defaults. */
  mounts?: OciMount[];
  annotations?: Record<string, string>;
}

const CPU_PERIOD = 100_000;

/** kubelet's MilliCPUToShares: minimum 2, a request of 0 gets the minimum. */
export function milliCpuToShares(milli: number): number {
  return Math.max(2, Math.floor((milli * 1024) / 1000));
}

/** kubelet's MilliCPUToQuota: minimum 1000 us per period. */
export function milliCpuToQuota(milli: number, period = CPU_PERIOD): number {
  return Math.max(1000, Math.floor((milli * period) / 1000));
}

/** The capability list after securityContext add/drop, in the order containerd applies them. */
export function effectiveCapabilities(add: string[] = [], drop: string[] = []): string[] {
  const dropAll = drop.some((d) => d.toUpperCase() === 'ALL');
  const dropped = new Set(drop.map(capabilityName));
  const caps = dropAll ? [] : DEFAULT_CAPABILITIES.filter((c) => !dropped.has(c));
  for (const c of add.map(capabilityName)) if (!caps.includes(c)) caps.push(c);
  return caps;
}

/** A complete config.json for a pod container with Kubernetes' containerd defaults. */
export function defaultContainerSpec(d: ContainerDefaults): OciSpec {
  const caps = effectiveCapabilities(d.capabilitiesAdd, d.capabilitiesDrop);
  const resources: OciResources = { devices: [{ allow: false, access: 'rwm' }] };
  if (d.memoryLimit !== undefined) resources.memory = { limit: d.memoryLimit };
  if (d.cpuRequestMilli !== undefined || d.cpuLimitMilli !== undefined) {
    resources.cpu = {};
    if (d.cpuRequestMilli !== undefined) resources.cpu.shares = milliCpuToShares(d.cpuRequestMilli);
    if (d.cpuLimitMilli !== undefined) Object.assign(resources.cpu, { quota: milliCpuToQuota(d.cpuLimitMilli), period: CPU_PERIOD });
  }
  if (d.pidsLimit !== undefined) resources.pids = { limit: d.pidsLimit };
  const namespaces = (['pid', 'ipc', 'uts', 'mount', 'network'] as const).map((type) => {
    const path = type === 'mount' ? undefined : d.joinNamespaces?.[type];
    return path ? { type, path } : { type };
  });
  const spec: OciSpec = {
    ociVersion: '1.1.0',
    process: {
      terminal: d.terminal ?? false,
      user: { uid: d.uid ?? 0, gid: d.gid ?? 0, ...(d.additionalGids ? { additionalGids: d.additionalGids } : {}) },
      args: d.args,
      env: d.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: d.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // No rlimits: the container inherits the agent's, as pods inherit those of
      // containerd's service unit (raising them would need CAP_SYS_RESOURCE anyway).
      noNewPrivileges: d.allowPrivilegeEscalation === false,
    },
    root: { path: d.rootfs, readonly: d.readOnlyRootFilesystem ?? false },
    ...(d.hostname !== undefined ? { hostname: d.hostname } : {}),
    mounts: [...defaultMounts(), ...(d.mounts ?? [])],
    annotations: d.annotations ?? {},
    linux: {
      namespaces: d.cgroupNamespace ? [...namespaces, { type: 'cgroup' }] : namespaces,
      cgroupsPath: `${(d.cgroupParent ?? '/skiff').replace(/\/$/, '')}/${d.id}`,
      resources,
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
      ...((d.seccomp ?? 'RuntimeDefault') === 'RuntimeDefault' ? { seccomp: defaultSeccompProfile(caps) } : {}),
    },
  };
  return spec;
}
