// OCI config.json -> ContainerPlan, faithfully: what the spec says and what the runtime
// spec itself requires of every runtime (default devices and /dev symlinks), nothing of
// Skiff's own. Kubernetes-style defaults live in default-spec.ts, which produces a spec.
import { isAbsolute, resolve } from 'node:path';
import type { ContainerPlan, NamespaceType, PlanDevice, PlanIo, PlanMount, PlanRlimit } from '../../native/plan.js';
import { basename } from 'node:path';
import type { CgroupHandle } from './cgroups/cgroup.js';
import { capabilityMask } from './capabilities.js';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, parseMountOptions, parsePropagation } from './mount-options.js';
import type { OciDeviceRule, OciSpec } from './oci-spec.js';
import { compileSeccomp } from './seccomp/compile.js';

/** What the caller decides that config.json does not say. */
export interface PlanOptions {
  id: string;
  /** Directory holding config.json; relative root and bind sources resolve against it. */
  bundle: string;
  stateDir: string;
  io: PlanIo;
  /** cgroup.procs files of the already-created cgroup (cgroupProcsFiles). */
  cgroupProcs: string[];
  /** The container's cgroup, which a `cgroup` mount in the spec shows at its destination. */
  cgroup?: CgroupHandle;
}

/** Raised for a config the plan cannot carry out; `field` is the config.json path. */
export class SpecError extends Error {
  constructor(readonly field: string, why: string) {
    super(`${field}: ${why}`);
    this.name = 'SpecError';
  }
}

const NAMESPACES: Record<string, NamespaceType> = {
  pid: 'pid', mount: 'mount', uts: 'uts', ipc: 'ipc', network: 'network', cgroup: 'cgroup', user: 'user',
};

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** Devices every runtime must provide (runtime-spec config-linux.md "Default Devices"). */
export const DEFAULT_DEVICES: readonly PlanDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0 },
];

/**
 * Device-cgroup rules a runtime adds after the config's own so the devices it must
 * provide stay usable under a deny-all rule (runc appends the same list): the default
 * nodes, ptys, and mknod (not access) of anything.
 */
export function defaultDeviceRules(devices: readonly PlanDevice[]): OciDeviceRule[] {
  return [
    { allow: true, type: 'c', major: null, minor: null, access: 'm' },
    { allow: true, type: 'b', major: null, minor: null, access: 'm' },
    ...devices.filter((d) => d.type !== 'p').map((d): OciDeviceRule => ({ allow: true, type: d.type as 'c' | 'b', major: d.major, minor: d.minor, access: 'rwm' })),
    { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' }, // /dev/pts/*
    { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  ];
}

function planNamespaces(spec: OciSpec): ContainerPlan['namespaces'] {
  const seen = new Set<string>();
  return (spec.linux?.namespaces ?? []).map((ns, i) => {
    const type = NAMESPACES[ns.type];
    if (!type) throw new SpecError(`linux.namespaces[${i}].type`, `${ns.type} namespaces are not supported`);
    if (seen.has(type)) throw new SpecError(`linux.namespaces[${i}].type`, `${type} is listed twice`);
    seen.add(type);
    if (type === 'user' && !ns.path) {
      throw new SpecError(`linux.namespaces[${i}]`, 'creating a user namespace (uid/gid mappings) is not supported yet; join one with "path" or drop it');
    }
    return ns.path ? { type, path: ns.path } : { type };
  });
}

function planMounts(spec: OciSpec, bundle: string, cgroup: CgroupHandle | undefined): PlanMount[] {
  const cgroupNamespace = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
  return (spec.mounts ?? []).flatMap((m, i) => {
    if (!isAbsolute(m.destination)) throw new SpecError(`mounts[${i}].destination`, `${m.destination} must be absolute`);
    const opts = parseMountOptions(m.options, m.type);
    const isBind = (opts.flags & MS_BIND) !== 0;
    if (m.type === 'cgroup' && !isBind) return planCgroupMount(m.destination, opts.flags, cgroup, cgroupNamespace, `mounts[${i}]`);
    const source = m.source ?? m.type ?? 'none';
    return [{
      destination: m.destination,
      source: isBind ? resolve(bundle, source) : source,
      type: isBind ? 'bind' : (m.type ?? 'none'),
      flags: opts.flags,
      propagation: opts.propagation,
      data: opts.data,
      remount: opts.remount,
    }];
  });
}

/**
 * A `cgroup` mount shows the container its own cgroup, as runc does: on v2 a cgroup2
 * mount when the container has a cgroup namespace, else a bind of its cgroup directory;
 * on v1 a tmpfs with one bind per hierarchy (/sys/fs/cgroup/memory is the container's
 * memory cgroup). The tmpfs itself stays writable because the plan cannot remount it
 * after the binds are made under it; every bind carries the mount's flags (ro).
 */
function planCgroupMount(destination: string, flags: number, cgroup: CgroupHandle | undefined, cgroupNamespace: boolean, field: string): PlanMount[] {
  if (!cgroup) throw new SpecError(field, 'a cgroup mount needs the container\'s cgroup (PlanOptions.cgroup)');
  const bind = (source: string, dest: string): PlanMount => ({
    destination: dest, source, type: 'bind', flags: flags | MS_BIND, propagation: 0, data: '', remount: true,
  });
  if (cgroup.version === 2) {
    if (cgroupNamespace) return [{ destination, source: 'cgroup2', type: 'cgroup2', flags, propagation: 0, data: '', remount: false }];
    return [bind(cgroup.dirs['']!, destination)];
  }
  const tmpfs: PlanMount = {
    destination, source: 'tmpfs', type: 'tmpfs', flags: MS_NOSUID | MS_NOEXEC | MS_NODEV, propagation: 0, data: 'mode=755,size=64k', remount: false,
  };
  const binds = Object.entries(cgroup.dirs).map(([key, dir]) => {
    const name = key.startsWith('name=') ? key.slice(5) : key;
    return bind(dir, `${destination.replace(/\/$/, '')}/${basename(name)}`);
  });
  return [tmpfs, ...binds];
}

function planDevices(spec: OciSpec, mounts: PlanMount[]): { devices: PlanDevice[]; devSymlinks: [string, string][] } {
  // A bind-mounted /dev is the host's (or a volume): the runtime creates nothing in it.
  if (mounts.some((m) => m.destination === '/dev' && (m.flags & MS_BIND) !== 0)) return { devices: [], devSymlinks: [] };
  const devices = new Map<string, PlanDevice>(DEFAULT_DEVICES.map((d) => [d.path, { ...d }]));
  for (const [i, d] of (spec.linux?.devices ?? []).entries()) {
    if (!isAbsolute(d.path)) throw new SpecError(`linux.devices[${i}].path`, `${d.path} must be absolute`);
    const type = d.type === 'u' ? 'c' : d.type;
    if (type !== 'p' && (d.major === undefined || d.minor === undefined)) {
      throw new SpecError(`linux.devices[${i}]`, 'major and minor are required for c and b devices');
    }
    devices.set(d.path, { path: d.path, type, major: d.major ?? 0, minor: d.minor ?? 0, mode: d.fileMode ?? 0o666, uid: d.uid ?? 0, gid: d.gid ?? 0 });
  }
  const devSymlinks: [string, string][] = [
    ['/dev/fd', '/proc/self/fd'],
    ['/dev/stdin', '/proc/self/fd/0'],
    ['/dev/stdout', '/proc/self/fd/1'],
    ['/dev/stderr', '/proc/self/fd/2'],
  ];
  if (mounts.some((m) => m.destination === '/dev/pts')) devSymlinks.push(['/dev/ptmx', 'pts/ptmx']);
  return { devices: [...devices.values()], devSymlinks };
}

function planRlimits(spec: OciSpec): PlanRlimit[] {
  return (spec.process?.rlimits ?? []).map((r, i) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new SpecError(`process.rlimits[${i}].type`, `unknown rlimit ${r.type}`);
    if (r.soft > r.hard) throw new SpecError(`process.rlimits[${i}]`, `soft ${r.soft} is above hard ${r.hard}`);
    return { resource, soft: r.soft, hard: r.hard };
  });
}

/** Fields Skiff cannot carry out: refused by name rather than silently ignored. */
function refuseUnsupported(spec: OciSpec): void {
  const hooks = Object.entries(spec.hooks ?? {}).filter(([, list]) => Array.isArray(list) && list.length > 0);
  if (hooks.length > 0) throw new SpecError(`hooks.${hooks[0]![0]}`, 'OCI hooks are not supported by Skiff');
  const res = spec.linux?.resources ?? {};
  for (const key of ['blockIO', 'hugepageLimits', 'rdma', 'network'] as const) {
    const v = res[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new SpecError(`linux.resources.${key}`, 'is not supported by Skiff; remove it');
  }
  for (const key of ['intelRdt', 'personality', 'timeOffsets'] as const) {
    if (spec.linux?.[key] !== undefined) throw new SpecError(`linux.${key}`, 'is not supported by Skiff; remove it');
  }
  if ((spec.linux?.uidMappings?.length ?? 0) > 0 || (spec.linux?.gidMappings?.length ?? 0) > 0) {
    throw new SpecError('linux.uidMappings', 'user namespace id mappings are not supported yet');
  }
}

/** Turns a config.json into the plan the addon carries out. Pure: reads no files. */
export function planFromSpec(spec: OciSpec, opts: PlanOptions): ContainerPlan {
  const proc = spec.process;
  if (!proc) throw new SpecError('process', 'is required to create a container');
  if (!proc.args || proc.args.length === 0) throw new SpecError('process.args', 'must name the program to run');
  if (!proc.cwd || !isAbsolute(proc.cwd)) throw new SpecError('process.cwd', `must be an absolute path, got ${JSON.stringify(proc.cwd)}`);
  if (!spec.root?.path) throw new SpecError('root.path', 'is required');
  refuseUnsupported(spec);
  const namespaces = planNamespaces(spec);
  if (!namespaces.some((n) => n.type === 'mount' && !n.path)) {
    // Without a private mount namespace every container mount lands on the host (runc and
    // crun both leak them that way); refuse instead.
    throw new SpecError('linux.namespaces', 'a new mount namespace is required');
  }
  const mounts = planMounts(spec, opts.bundle, opts.cgroup);
  const { devices, devSymlinks } = planDevices(spec, mounts);
  const caps = proc.capabilities ?? {};
  const permitted = capabilityMask(caps.permitted, 'process.capabilities.permitted');
  const inheritable = capabilityMask(caps.inheritable, 'process.capabilities.inheritable');
  const seccomp = spec.linux?.seccomp ? compileSeccomp(spec.linux.seccomp) : undefined;
  return {
    id: opts.id,
    rootfs: {
      path: resolve(opts.bundle, spec.root.path),
      readonly: spec.root.readonly ?? false,
      propagation: parsePropagation(spec.linux?.rootfsPropagation, 'linux.rootfsPropagation'),
    },
    namespaces,
    mounts,
    devices,
    devSymlinks,
    maskedPaths: spec.linux?.maskedPaths ?? [],
    readonlyPaths: spec.linux?.readonlyPaths ?? [],
    ...(spec.hostname !== undefined ? { hostname: spec.hostname } : {}),
    ...(spec.domainname !== undefined ? { domainname: spec.domainname } : {}),
    sysctl: spec.linux?.sysctl ?? {},
    process: {
      args: proc.args,
      env: proc.env ?? [],
      cwd: proc.cwd,
      uid: proc.user?.uid ?? 0,
      gid: proc.user?.gid ?? 0,
      additionalGids: proc.user?.additionalGids ?? [],
      ...(proc.user?.umask !== undefined ? { umask: proc.user.umask } : {}),
      noNewPrivileges: proc.noNewPrivileges ?? false,
      capabilities: {
        bounding: capabilityMask(caps.bounding, 'process.capabilities.bounding'),
        effective: capabilityMask(caps.effective, 'process.capabilities.effective'),
        permitted,
        inheritable,
        // The kernel raises an ambient cap only if it is permitted and inheritable; runc
        // spec lists ambient caps without inheritable ones, and runc then runs with none.
        ambient: capabilityMask(caps.ambient, 'process.capabilities.ambient') & permitted & inheritable,
      },
      rlimits: planRlimits(spec),
      ...(proc.oomScoreAdj !== undefined ? { oomScoreAdj: proc.oomScoreAdj } : {}),
      terminal: proc.terminal ?? false,
    },
    ...(seccomp ? { seccomp } : {}),
    cgroupProcs: opts.cgroupProcs,
    stateDir: opts.stateDir,
    io: opts.io,
  };
}
