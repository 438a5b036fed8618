import { describe, expect, it } from 'vitest';
import { planFromSpec, SpecError } from '../../../nodeagent/runtime/plan-from-spec.js';
import { defaultContainerSpec, effectiveCapabilities, milliCpuToQuota, milliCpuToShares } from '../../../nodeagent/runtime/default-spec.js';
import { capabilityNames } from '../../../nodeagent/runtime/capabilities.js';
import { generateRuncSpec } from '../../../nodeagent/runtime/runc-spec.js';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_SLAVE, MS_STRICTATIME, parseMountOptions } from '../../../nodeagent/runtime/mount-options.js';
import type { OciSpec } from '../../../nodeagent/runtime/oci-spec.js';

const v1Cgroup = { version: 1 as const, path: '/c1', dirs: { 'cpu,cpuacct': '/sys/fs/cgroup/cpu,cpuacct/c1', memory: '/sys/fs/cgroup/memory/c1', 'name=systemd': '/sys/fs/cgroup/systemd/c1' } };
const opts = { id: 'c1', bundle: '/b', stateDir: '/run/skiff/oci/c1', io: { mode: 'log' as const, logPath: '/l' }, cgroupProcs: ['/cg/cgroup.procs'], cgroup: v1Cgroup };

describe('planFromSpec on a `runc spec` config', () => {
  const spec = generateRuncSpec();
  const plan = planFromSpec(spec, opts);

  it('applies config.json as written: runc spec caps, no seccomp, rootfs relative to the bundle', () => {
    expect(capabilityNames(plan.process.capabilities.effective)).toEqual(['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE']);
    expect(plan.process.capabilities.effective).toBe(0x20000420n);
    expect(plan.seccomp).toBeUndefined();
    expect(plan.rootfs).toMatchObject({ path: '/b/rootfs', readonly: true, propagation: MS_PRIVATE | MS_REC });
    expect(plan.hostname).toBe('runc');
    expect(plan.process.noNewPrivileges).toBe(true);
    expect(plan.process.rlimits).toEqual([{ resource: 7, soft: 1024, hard: 1024 }]);
    expect(plan.namespaces.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount']);
    expect(plan.cgroupProcs).toEqual(['/cg/cgroup.procs']);
  });

  it('computes mount flags and data from the option strings', () => {
    const dev = plan.mounts.find((m) => m.destination === '/dev')!;
    expect(dev).toMatchObject({ type: 'tmpfs', flags: MS_NOSUID | MS_STRICTATIME, data: 'mode=755,size=65536k', remount: false });
    const sys = plan.mounts.find((m) => m.destination === '/sys')!;
    expect(sys.flags).toBe(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
  });

  it('provides the default devices and /dev symlinks the runtime spec requires', () => {
    expect(plan.devices.map((d) => d.path)).toEqual(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
    expect(plan.devSymlinks).toContainEqual(['/dev/ptmx', 'pts/ptmx']);
    expect(plan.devSymlinks).toContainEqual(['/dev/fd', '/proc/self/fd']);
  });

  it('keeps masked and read-only paths exactly', () => {
    expect(plan.maskedPaths).toEqual(spec.linux!.maskedPaths);
    expect(plan.readonlyPaths).toEqual(spec.linux!.readonlyPaths);
  });
});

describe('the cgroup mount shows the container its own cgroup', () => {
  const spec = generateRuncSpec();
  it('v1: a tmpfs and one read-only bind per hierarchy', () => {
    const mounts = planFromSpec(spec, opts).mounts.filter((m) => m.destination.startsWith('/sys/fs/cgroup'));
    expect(mounts.map((m) => [m.destination, m.type, m.source])).toEqual([
      ['/sys/fs/cgroup', 'tmpfs', 'tmpfs'],
      ['/sys/fs/cgroup/cpu,cpuacct', 'bind', '/sys/fs/cgroup/cpu,cpuacct/c1'],
      ['/sys/fs/cgroup/memory', 'bind', '/sys/fs/cgroup/memory/c1'],
      ['/sys/fs/cgroup/systemd', 'bind', '/sys/fs/cgroup/systemd/c1'],
    ]);
    expect(mounts[1]!.flags & MS_RDONLY).toBe(MS_RDONLY);
    expect(mounts[1]!.remount).toBe(true);
  });
  it('v2: cgroup2 with a cgroup namespace, else a bind of the container\'s directory', () => {
    const v2 = { version: 2 as const, path: '/c1', dirs: { '': '/sys/fs/cgroup/c1' }, mountPoint: '/sys/fs/cgroup' };
    const bind = planFromSpec(spec, { ...opts, cgroup: v2 }).mounts.find((m) => m.destination === '/sys/fs/cgroup')!;
    expect(bind).toMatchObject({ type: 'bind', source: '/sys/fs/cgroup/c1', remount: true });
    const withNs = generateRuncSpec();
    withNs.linux!.namespaces!.push({ type: 'cgroup' });
    expect(planFromSpec(withNs, { ...opts, cgroup: v2 }).mounts.find((m) => m.destination === '/sys/fs/cgroup')).toMatchObject({ type: 'cgroup2' });
  });
});

describe('planFromSpec refusals', () => {
  const base = (): OciSpec => generateRuncSpec();
  it.each([
    ['process', (s: OciSpec) => { delete s.process; }],
    ['process.args', (s: OciSpec) => { s.process!.args = []; }],
    ['process.cwd', (s: OciSpec) => { s.process!.cwd = 'rel'; }],
    ['linux.namespaces', (s: OciSpec) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'); }],
    ['linux.namespaces[0].type', (s: OciSpec) => { s.linux!.namespaces![0]!.type = 'time'; }],
    ['process.capabilities.bounding[0]', (s: OciSpec) => { s.process!.capabilities!.bounding = ['CAP_NOPE']; }],
    ['process.rlimits[0].type', (s: OciSpec) => { s.process!.rlimits = [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }]; }],
    ['mounts[0].destination', (s: OciSpec) => { s.mounts![0]!.destination = 'proc'; }],
    ['hooks.prestart', (s: OciSpec) => { s.hooks = { prestart: [{ path: '/bin/true' }] }; }],
    ['linux.resources.blockIO', (s: OciSpec) => { s.linux!.resources!.blockIO = { weight: 10 }; }],
    ['linux.uidMappings', (s: OciSpec) => { s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }],
  ])('names %s', (field, mutate) => {
    const s = base();
    mutate(s);
    let err: unknown;
    try { planFromSpec(s, opts); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(Error);
    expect((err as SpecError).field ?? (err as Error).message).toContain(field);
  });
});

describe('mount options', () => {
  it('turns a read-only bind into a bind plus a remount pass, with propagation apart', () => {
    expect(parseMountOptions(['rbind', 'ro', 'rslave'], 'none')).toEqual({ flags: MS_BIND | MS_REC | MS_RDONLY, propagation: MS_SLAVE | MS_REC, data: '', remount: true });
    expect(parseMountOptions(['ro', 'rw'], 'tmpfs').flags).toBe(0);
    expect(parseMountOptions([], 'bind').flags).toBe(MS_BIND);
  });
});

describe('defaultContainerSpec (what a pod container gets)', () => {
  const spec = defaultContainerSpec({ id: 'web', rootfs: '/var/lib/skiff/web/rootfs', args: ['/bin/app'], memoryLimit: 64 << 20, cpuRequestMilli: 250, cpuLimitMilli: 500, pidsLimit: 100, cgroupParent: '/skiff/podabc', joinNamespaces: { network: '/run/skiff/netns/p' } });
  const plan = planFromSpec(spec, opts);

  it('grants containerd\'s 14 default capabilities and nothing in ambient/inheritable', () => {
    expect(capabilityNames(plan.process.capabilities.effective).sort()).toEqual([
      'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD',
      'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
    ]);
    expect(plan.process.capabilities.bounding).toBe(plan.process.capabilities.effective);
    expect(plan.process.capabilities.ambient).toBe(0n);
    expect(plan.process.capabilities.inheritable).toBe(0n);
  });

  it('masks and read-only paths match containerd, with a seccomp program', () => {
    expect(plan.maskedPaths).toContain('/proc/kcore');
    expect(plan.maskedPaths).toContain('/sys/firmware');
    expect(plan.readonlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    expect(plan.seccomp!.program.length % 8).toBe(0);
    expect(plan.seccomp!.program.length).toBeGreaterThan(8 * 20);
  });

  it('joins the pod network namespace and creates the others', () => {
    expect(plan.namespaces).toContainEqual({ type: 'network', path: '/run/skiff/netns/p' });
    expect(plan.namespaces).toContainEqual({ type: 'pid' });
  });

  it('converts requests and limits as kubelet does', () => {
    expect(spec.linux!.cgroupsPath).toBe('/skiff/podabc/web');
    expect(spec.linux!.resources).toMatchObject({ memory: { limit: 64 << 20 }, cpu: { shares: 256, quota: 50000, period: 100000 }, pids: { limit: 100 }, devices: [{ allow: false, access: 'rwm' }] });
    expect(milliCpuToShares(0)).toBe(2);
    expect(milliCpuToQuota(1)).toBe(1000);
  });

  it('applies securityContext capabilities add/drop', () => {
    expect(effectiveCapabilities(['NET_ADMIN'], ['ALL'])).toEqual(['CAP_NET_ADMIN']);
    expect(effectiveCapabilities([], ['MKNOD', 'NET_RAW'])).not.toContain('CAP_MKNOD');
    expect(defaultContainerSpec({ id: 'x', rootfs: '/r', args: ['a'] }).process!.noNewPrivileges).toBe(false);
    expect(defaultContainerSpec({ id: 'x', rootfs: '/r', args: ['a'], allowPrivilegeEscalation: false }).process!.noNewPrivileges).toBe(true);
  });
});
