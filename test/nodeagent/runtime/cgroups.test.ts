import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCgroupMounts, parseProcCgroup, type CgroupEnv } from '../../../nodeagent/runtime/cgroups/detect.js';
import { resolveCgroupPath } from '../../../nodeagent/runtime/cgroups/path.js';
import { cgroupProcsFiles, createCgroup, killCgroup, planCgroup, readOomKills } from '../../../nodeagent/runtime/cgroups/cgroup.js';
import { spawn } from 'node:child_process';
import { cpuMaxLine, sharesToWeight } from '../../../nodeagent/runtime/cgroups/v2.js';
import { deviceRuleLine } from '../../../nodeagent/runtime/cgroups/v1.js';

const MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/x,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:50 / /mnt/my\\040cg rw - cgroup cgroup rw,pids
`;

const temps: string[] = [];
afterEach(() => { for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true }); });
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'skiff-runtime-cg-'));
  temps.push(d);
  return d;
}

describe('cgroup layout parsing', () => {
  it('finds v1 hierarchies, co-mounts, named hierarchies and escaped mount points', () => {
    const mounts = parseCgroupMounts(MOUNTINFO);
    expect(mounts.filter((m) => m.version === 1).map((m) => [m.mountPoint, m.controllers.join(',')])).toEqual([
      ['/sys/fs/cgroup/cpu,cpuacct', 'cpu,cpuacct'],
      ['/sys/fs/cgroup/cpuset', 'cpuset'],
      ['/sys/fs/cgroup/memory', 'memory'],
      ['/sys/fs/cgroup/systemd', 'name=systemd'],
      ['/mnt/my cg', 'pids'],
    ]);
    expect(mounts.find((m) => m.version === 2)!.mountPoint).toBe('/sys/fs/cgroup/unified');
  });

  it('reads /proc/self/cgroup keyed by sorted controller list', () => {
    const own = parseProcCgroup('12:pids:/a\n4:cpuacct,cpu:/user.slice\n1:name=systemd:/x\n0::/init.scope\n');
    expect(own.get('cpu,cpuacct')).toBe('/user.slice');
    expect(own.get('')).toBe('/init.scope');
    expect(own.get('name=systemd')).toBe('/x');
  });
});

describe('cgroupsPath rule', () => {
  it.each([
    ['/kubepods/pod1/c1', '/agent', '/kubepods/pod1/c1'],
    ['pod1/c1', '/agent.slice', '/agent.slice/pod1/c1'],
    [undefined, '/agent', '/c1'],
    ['', '/agent', '/c1'],
  ])('%s (own cgroup %s) -> %s', (path, own, expected) => {
    expect(resolveCgroupPath(path, 'c1', own)).toBe(expected);
  });
  it('refuses climbing out, systemd slices and the root itself', () => {
    expect(() => resolveCgroupPath('/a/../../b', 'c1', '/')).toThrow(/\.\./);
    expect(() => resolveCgroupPath('system.slice:skiff:c1', 'c1', '/')).toThrow(/systemd/);
    expect(() => resolveCgroupPath('/', 'c1', '/')).toThrow(/root cgroup/);
  });
});

describe('cgroup v2 writes (temp dir laid out like cgroup2)', () => {
  function fakeV2(): { root: string; env: CgroupEnv } {
    const root = temp();
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), '');
    return { root, env: { mode: 'v2', mounts: [{ mountPoint: root, root: '/', version: 2, controllers: [] }], ownPaths: new Map([['', '/agent']]) } };
  }

  it('enables controllers in every ancestor and writes the limits into one directory', async () => {
    const { root, env } = fakeV2();
    const handle = planCgroup(env, '/skiff/pod1/c1', 'c1');
    expect(handle).toMatchObject({ version: 2, path: '/skiff/pod1/c1', dirs: { '': join(root, 'skiff/pod1/c1') } });
    expect(cgroupProcsFiles(handle)).toEqual([join(root, 'skiff/pod1/c1/cgroup.procs')]);
    await createCgroup(handle, { memory: { limit: 64 << 20, swap: 128 << 20 }, cpu: { shares: 1024, quota: 50000, period: 100000 }, pids: { limit: 64 } });
    const read = (p: string) => readFileSync(join(root, p), 'utf8');
    expect(read('cgroup.subtree_control')).toBe('+cpuset +cpu +io +memory +pids +hugetlb');
    expect(read('skiff/cgroup.subtree_control')).toBe('+cpuset +cpu +io +memory +pids +hugetlb');
    expect(read('skiff/pod1/cgroup.subtree_control')).toBe('+cpuset +cpu +io +memory +pids +hugetlb');
    expect(existsSync(join(root, 'skiff/pod1/c1/cgroup.subtree_control'))).toBe(false); // leaf: no internal-process conflict
    expect(read('skiff/pod1/c1/memory.max')).toBe(String(64 << 20));
    expect(read('skiff/pod1/c1/memory.swap.max')).toBe(String(64 << 20));
    expect(read('skiff/pod1/c1/memory.oom.group')).toBe('1');
    expect(read('skiff/pod1/c1/cpu.max')).toBe('50000 100000');
    expect(read('skiff/pod1/c1/cpu.weight')).toBe('39');
    expect(read('skiff/pod1/c1/pids.max')).toBe('64');
  });

  it('only enables controllers the parent offers, and relative paths land under our own cgroup', async () => {
    const { root, env } = fakeV2();
    writeFileSync(join(root, 'cgroup.controllers'), 'memory pids\n');
    const handle = planCgroup(env, 'c1', 'c1');
    expect(handle.path).toBe('/agent/c1');
    await createCgroup(handle, { pids: { limit: 0 } });
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids');
    expect(readFileSync(join(root, 'agent/c1/pids.max'), 'utf8')).toBe('max');
  });

  it('reads the OOM kill counter from the container\'s own memory.events', () => {
    const { root, env } = fakeV2();
    const handle = planCgroup(env, '/c1', 'c1');
    mkdirSync(join(root, 'c1'));
    writeFileSync(join(root, 'c1/memory.events'), 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n');
    expect(readOomKills(handle)).toBe(1);
  });

  it('converts shares to weight as kubelet does', () => {
    expect([2, 1024, 262144].map(sharesToWeight)).toEqual([1, 39, 10000]);
    expect(cpuMaxLine(undefined, 100000)).toBe('max 100000');
    expect(cpuMaxLine(-1, undefined)).toBe('max 100000');
  });
});

describe('cgroup v1 writes (temp dir laid out like v1 hierarchies)', () => {
  it('creates one directory per hierarchy, seeds cpuset and writes each controller\'s files', async () => {
    const root = temp();
    const hier = ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer'];
    for (const h of hier) mkdirSync(join(root, h));
    writeFileSync(join(root, 'cpuset/cpuset.cpus'), '0-1\n');
    writeFileSync(join(root, 'cpuset/cpuset.mems'), '0\n');
    const env: CgroupEnv = { mode: 'v1', mounts: hier.map((h) => ({ mountPoint: join(root, h), root: '/', version: 1, controllers: h.split(',') })), ownPaths: new Map() };
    const handle = planCgroup(env, '/skiff/c1', 'c1');
    expect(Object.keys(handle.dirs)).toEqual(hier);
    await createCgroup(handle, { memory: { limit: 1 << 20 }, cpu: { shares: 512, quota: 20000, period: 100000 }, pids: { limit: 10 }, devices: [{ allow: false, access: 'rwm' }] }, [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]);
    const read = (p: string) => readFileSync(join(root, p), 'utf8');
    expect(read('cpuset/skiff/cpuset.cpus')).toBe('0-1');
    expect(read('cpuset/skiff/c1/cpuset.mems')).toBe('0');
    expect(read('memory/skiff/c1/memory.limit_in_bytes')).toBe(String(1 << 20));
    expect(read('cpu,cpuacct/skiff/c1/cpu.shares')).toBe('512');
    expect(read('cpu,cpuacct/skiff/c1/cpu.cfs_quota_us')).toBe('20000');
    expect(read('pids/skiff/c1/pids.max')).toBe('10');
    expect(read('devices/skiff/c1/devices.allow')).toBe('c 1:3 rwm'); // last write wins in a plain file
    expect(read('devices/skiff/c1/devices.deny')).toBe('a');
    writeFileSync(join(root, 'memory/skiff/c1/memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n');
    expect(readOomKills(handle)).toBe(3);
  });

  it('formats device rules as devices.allow expects', () => {
    expect(deviceRuleLine({ allow: true, type: 'c', major: 136, minor: null, access: 'rwm' })).toBe('c 136:* rwm');
    expect(deviceRuleLine({ allow: false })).toBe('a');
  });
});

describe('kill-all', () => {
  function sleeper() {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    return { pid: child.pid!, exited };
  }

  it('v2 writes cgroup.kill', async () => {
    const root = temp();
    mkdirSync(join(root, 'c1'));
    writeFileSync(join(root, 'c1/cgroup.kill'), '');
    await killCgroup({ version: 2, path: '/c1', dirs: { '': join(root, 'c1') }, mountPoint: root });
    expect(readFileSync(join(root, 'c1/cgroup.kill'), 'utf8')).toBe('1');
  });

  it('v1 freezes, SIGKILLs every listed process and thaws', async () => {
    const root = temp();
    const s = sleeper();
    for (const h of ['freezer', 'memory']) mkdirSync(join(root, h, 'c1'), { recursive: true });
    writeFileSync(join(root, 'freezer/c1/cgroup.procs'), `${s.pid}\n`);
    writeFileSync(join(root, 'freezer/c1/freezer.state'), 'THAWED\n');
    await killCgroup({ version: 1, path: '/c1', dirs: { freezer: join(root, 'freezer/c1'), memory: join(root, 'memory/c1') } });
    expect(await s.exited).toBe('SIGKILL');
    expect(readFileSync(join(root, 'freezer/c1/freezer.state'), 'utf8')).toBe('THAWED');
  });
});
