// Real containers through the runtime API (as root): a static probe inside reports what
// it sees; limits, signals, exec and logs are checked from both sides.
import { createReadStream, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Runtime, defaultContainerSpec, DEFAULT_CAPABILITIES, type Container, type ContainerDefaults } from '../../../nodeagent/runtime/index.js';
import { capabilityMask } from '../../../nodeagent/runtime/capabilities.js';
import { isSameProcess } from '../../../nodeagent/runtime/state.js';
import { leftoverCgroups, leftoverMounts, leftoverState, makeFixture, probeReport, readCriLog, removeFixture, type Fixture } from './helpers.js';

const EPERM = 1;
const EAGAIN = 11;
const EROFS = 30;

let f: Fixture;
let rt: Runtime;
let seq = 0;
const live: Container[] = [];
/** Every init and monitor the tests started, to check none outlives the suite. */
const processes: { pid: number; startTime: number }[] = [];

beforeAll(() => {
  f = makeFixture('ctr');
  rt = new Runtime(f.root);
});

afterEach(async () => {
  for (const c of live.splice(0)) await c.remove({ force: true });
});

afterAll(async () => {
  try {
    // monitors exit right after recording the exit; give them a moment, then none may remain
    await vi.waitFor(() => expect(processes.filter((p) => isSameProcess(p.pid, p.startTime))).toEqual([]), { timeout: 5_000 });
    expect(leftoverState(f)).toEqual([]);
    expect(leftoverMounts(f)).toEqual([]);
    // Only the parent directories the tests chose remain; every container cgroup is gone.
    expect(leftoverCgroups(f).filter((d) => !d.endsWith(f.cgroupParent))).toEqual([]);
  } finally {
    removeFixture(f);
    expect(leftoverCgroups(f)).toEqual([]);
  }
});

async function create(args: string[], extra: Partial<ContainerDefaults> = {}): Promise<Container> {
  const id = `c${++seq}`;
  const spec = defaultContainerSpec({
    id, rootfs: f.rootfs, args, hostname: `probe-${id}`, cgroupParent: f.cgroupParent,
    allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, ...extra,
  });
  const c = await rt.create({ id, bundle: join(f.dir, 'bundle'), spec });
  live.push(c);
  processes.push({ pid: c.state.pid, startTime: c.state.pidStartTime }, { pid: c.state.monitorPid, startTime: c.state.monitorStartTime });
  return c;
}

async function run(args: string[], extra: Partial<ContainerDefaults> = {}) {
  const c = await create(args, extra);
  await c.start();
  const exit = await c.wait(30_000);
  return { c, exit };
}

async function readFd(fd: number | null): Promise<string> {
  if (fd === null) return '';
  let text = '';
  for await (const chunk of createReadStream('', { fd })) text += chunk;
  return text;
}

/** Reads a pty master until the other side closes (Linux then answers EIO, not EOF). */
async function readTerminal(fd: number): Promise<string> {
  let text = '';
  try {
    for await (const chunk of createReadStream('', { fd })) text += chunk;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EIO') throw err;
  }
  return text;
}

const hexMask = (mask: bigint) => mask.toString(16).padStart(16, '0');

describe('what a container sees (Kubernetes defaults)', () => {
  it('runs as pid 1 with its own hostname, containerd\'s caps, no_new_privs, seccomp and masked paths', async () => {
    const { c, exit } = await run(['/probe', 'report']);
    expect(exit).toMatchObject({ exitCode: 0, reason: 'Completed', signal: null });
    const r = probeReport(c.status().logPath!);
    expect(r.pid).toBe(1);
    expect(r.hostname).toBe(`probe-${c.id}`);
    const caps = hexMask(capabilityMask(DEFAULT_CAPABILITIES, 'caps'));
    expect({ eff: r.CapEff, prm: r.CapPrm, bnd: r.CapBnd, amb: r.CapAmb }).toEqual({ eff: caps, prm: caps, bnd: caps, amb: '0000000000000000' });
    expect(r.NoNewPrivs).toBe('1');
    expect(r.Seccomp).toBe('2');
    // masked: files read as /dev/null, directories are empty
    if (r.kcoreErrno !== 2 /* ENOENT: no /proc/kcore on this kernel */) expect(r.kcoreBytes).toBe(0);
    expect(r.keysBytes).toBe(0);
    expect(r.firmwareEntries).toBe(0);
    // read-only paths and /sys
    expect(r.procSysWriteErrno).toBe(EROFS);
    if (existsSync('/proc/sysrq-trigger')) expect(r.sysrqWriteErrno).toBe(EROFS);
    expect(r.sysMkdirErrno).toBe(EROFS);
    const sys = r.mountinfo.split('\n').find((l) => l.split(' ')[4] === '/sys')!;
    expect(sys.split(' ')[5]!.split(',')).toContain('ro');
    // seccomp refuses with EPERM (keyctl is refused for everyone; mount and unshare lack CAP_SYS_ADMIN too)
    expect(r.keyctlErrno).toBe(EPERM);
    expect(r.mountErrno).toBe(EPERM);
    expect(r.unshareErrno).toBe(EPERM);
  });

  it('loads the seccomp filter also without no_new_privs (before dropping CAP_SYS_ADMIN)', async () => {
    const { c } = await run(['/probe', 'report'], { allowPrivilegeEscalation: true });
    const r = probeReport(c.status().logPath!);
    expect(r.NoNewPrivs).toBe('0');
    expect(r.Seccomp).toBe('2');
    expect(r.keyctlErrno).toBe(EPERM);
  });

  it('writes stdout and stderr to the CRI log', async () => {
    const { c } = await run(['/probe', 'print']);
    const lines = readCriLog(c.status().logPath!);
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.content)).toEqual(['out-1', 'out-2']);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.content)).toEqual(['err-1']);
    for (const l of lines) {
      expect(l.tag).toBe('F');
      expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    }
  });
});

describe('exit status', () => {
  it.each([[0, 'Completed'], [1, 'Error'], [42, 'Error']])('reports exit code %i as %s', async (code, reason) => {
    const { exit } = await run(['/probe', 'exit', String(code)]);
    expect(exit).toMatchObject({ exitCode: code, signal: null, reason });
  });

  it('reports a signal: SIGKILL is 137 with signal 9', async () => {
    const c = await create(['/probe', 'sleep', '30']);
    await c.start();
    expect(c.status().status).toBe('running');
    c.kill(9);
    expect(await c.wait(10_000)).toMatchObject({ exitCode: 137, signal: 9, reason: 'Error' });
  });

  it('reports a program that cannot be executed as a failed step', async () => {
    const c = await create(['/no/such/program']).catch((e: Error & { step?: string }) => e);
    if (c instanceof Error) {
      expect(c.step).toMatch(/process|exec/);
    } else {
      await c.start();
      const exit = await c.wait(10_000);
      expect(exit.exitCode).not.toBe(0);
      expect(exit.error?.step).toBeTruthy();
    }
  });
});

describe('stop', () => {
  it('a process that honours SIGTERM exits 143 well within the grace period', async () => {
    const c = await create(['/probe', 'trap-term', '30']);
    await c.start();
    await expect.poll(() => readFileSync(c.status().logPath!, 'utf8'), { timeout: 10_000 }).toContain('sleeping');
    const t0 = Date.now();
    const exit = await c.stop(20_000);
    expect(exit.exitCode).toBe(143);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a process ignoring SIGTERM is SIGKILLed after the grace period: 137', async () => {
    const c = await create(['/probe', 'ignore-term', '30']);
    await c.start();
    await expect.poll(() => readFileSync(c.status().logPath!, 'utf8'), { timeout: 10_000 }).toContain('sleeping');
    const t0 = Date.now();
    const exit = await c.stop(800);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
    expect(exit).toMatchObject({ exitCode: 137, signal: 9, reason: 'Error' });
  });
});

describe('cgroup limits', () => {
  it('a process over its memory limit is OOM-killed and reported as OOMKilled', async () => {
    const { exit } = await run(['/probe', 'memhog', '256'], { memoryLimit: 32 << 20 });
    expect(exit).toMatchObject({ exitCode: 137, signal: 9, reason: 'OOMKilled' });
  });

  it('the pids limit stops a fork bomb', async () => {
    const { c, exit } = await run(['/probe', 'forkbomb', '200'], { pidsLimit: 16 });
    expect(exit.exitCode).toBe(0);
    const result = JSON.parse(readCriLog(c.status().logPath!).find((l) => l.content.startsWith('{'))!.content) as { forked: number; errno: number };
    expect(result.forked).toBeLessThan(16);
    expect(result.errno).toBe(EAGAIN);
  });

  it('writes the CPU quota and shares kubelet would', async () => {
    const c = await create(['/probe', 'sleep', '30'], { cpuLimitMilli: 250, cpuRequestMilli: 100 });
    const dirs = c.state.cgroup.dirs;
    if (c.state.cgroup.version === 2) {
      expect(readFileSync(join(dirs['']!, 'cpu.max'), 'utf8').trim()).toBe('25000 100000');
    } else {
      const cpu = Object.entries(dirs).find(([k]) => k.split(',').includes('cpu'))![1];
      expect(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('25000');
      expect(readFileSync(join(cpu, 'cpu.shares'), 'utf8').trim()).toBe('102');
    }
    // the init sits in the container's cgroup before it runs
    const procs = Object.values(dirs).map((d) => readFileSync(join(d, 'cgroup.procs'), 'utf8').trim());
    for (const p of procs) expect(p).toBe(String(c.state.pid));
  });
});

describe('exec', () => {
  it('runs in the same namespaces and cgroup with the same security settings', async () => {
    const c = await create(['/probe', 'sleep', '30']);
    await c.start();
    const proc = await c.exec(['/probe', 'report']);
    const [out, status] = await Promise.all([readFd(proc.stdout), proc.exited, readFd(proc.stderr)]);
    expect(status.exitCode).toBe(0);
    const r = JSON.parse(out.trim()) as import('../../harness/probe.js').ProbeReport;
    for (const ns of ['pid', 'mnt', 'net', 'uts', 'ipc'] as const) {
      expect(r.ns[ns], ns).toBe(readlinkSync(`/proc/${c.state.pid}/ns/${ns}`));
    }
    expect(r.cgroup).toBe(readFileSync(`/proc/${c.state.pid}/cgroup`, 'utf8'));
    expect(r.pid).not.toBe(1);
    expect(r.hostname).toBe(`probe-${c.id}`);
    expect(r.CapEff).toBe(hexMask(capabilityMask(DEFAULT_CAPABILITIES, 'caps')));
    expect(r.NoNewPrivs).toBe('1');
    expect(r.Seccomp).toBe('2');
    expect(r.keyctlErrno).toBe(EPERM);
  });

  it('gives the process a terminal inside the container when asked', async () => {
    const c = await create(['/probe', 'sleep', '30']);
    await c.start();
    const proc = await c.exec(['/probe', 'tty'], { tty: true });
    expect(proc.terminalFd).toBeDefined();
    expect(proc.stdout).toBeNull();
    const [out, status] = await Promise.all([readTerminal(proc.terminalFd!), proc.exited]);
    expect(status.exitCode).toBe(0);
    const r = JSON.parse(out.trim().replace(/\r/g, '')) as { stdin: number; stdout: number; ttyname: string };
    expect(r).toMatchObject({ stdin: 1, stdout: 1 });
    // The pty belongs to the container's own devpts instance.
    expect(r.ttyname).toMatch(/^\/dev\/pts\/\d+$/);
  });

  it('passes its exit code back and refuses a stopped container', async () => {
    const c = await create(['/probe', 'sleep', '30']);
    await c.start();
    const proc = await c.exec(['/probe', 'exit', '5']);
    expect((await proc.exited).exitCode).toBe(5);
    await c.stop(0);
    await expect(c.exec(['/probe', 'report'])).rejects.toThrow(/stopped/);
  });
});

describe('lifecycle rules', () => {
  it('a refused create leaves nothing behind: no state, no cgroup', async () => {
    const spec = defaultContainerSpec({ id: 'bad', rootfs: f.rootfs, args: ['/probe'], cgroupParent: f.cgroupParent, memoryLimit: 1 });
    spec.linux!.cgroupsPath = `${f.cgroupParent}/../escape`;
    await expect(rt.create({ id: 'bad', spec })).rejects.toThrow(/cgroupsPath/);
    const refused = defaultContainerSpec({ id: 'bad', rootfs: f.rootfs, args: ['/no/such/dir/probe'], cwd: '/no/such/cwd', cgroupParent: f.cgroupParent });
    await expect(rt.create({ id: 'bad', spec: refused })).rejects.toMatchObject({ step: expect.any(String) });
    expect(rt.load('bad')).toBeUndefined();
    expect(leftoverState(f)).not.toContain('bad');
    expect(leftoverCgroups(f).filter((d) => d.endsWith('/bad'))).toEqual([]);
  });

  it('lists containers and refuses removing a running one without force', async () => {
    const c = await create(['/probe', 'sleep', '30']);
    expect(rt.list().map((x) => x.id)).toContain(c.id);
    expect(c.status().status).toBe('created');
    await c.start();
    await expect(c.remove()).rejects.toThrow(/running/);
    await expect(c.start()).rejects.toThrow(/running/);
    await c.remove({ force: true });
    expect(rt.load(c.id)).toBeUndefined();
  });
});
