// The native runtime against real namespaces, mounts and cgroup v1 directories, with a
// busybox rootfs. Run as root (CI does).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync, statSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import {
  createContainer, execInContainer, isAlive, NativeError, readContainerState, readExitStatus, reopenContainerLog, resizeTerminal, signalProcess,
  startContainer, steps, waitForExit, monitorPath, type ContainerPlan, type ExitStatus,
} from '../../native/index.js';
import { encodeContainerPlan } from '../../native/plan-wire.js';
import { cgroup2Root, removeTestCgroupParents, Sandbox, unifiedHost } from './plan-builder.js';

const CRI_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) ([^\n]*)$/;

const sandboxes: Sandbox[] = [];
function sandbox(name: string): Sandbox {
  const sb = new Sandbox(name);
  sandboxes.push(sb);
  return sb;
}
afterEach(async () => {
  for (const sb of sandboxes.splice(0)) await sb.cleanup();
});
afterAll(() => removeTestCgroupParents());

async function run(sb: Sandbox, plan: ContainerPlan): Promise<ExitStatus> {
  await createContainer(plan);
  await startContainer(sb.stateDir);
  return waitForExit(sb.stateDir);
}

function logLines(sb: Sandbox): { stream: string; tag: string; text: string }[] {
  return sb.log().split('\n').filter(Boolean).map((line) => {
    const m = CRI_LINE.exec(line);
    if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(line)}`);
    return { stream: m[1] as string, tag: m[2] as string, text: m[3] as string };
  });
}

function stdout(sb: Sandbox): string[] {
  return logLines(sb).filter((l) => l.stream === 'stdout').map((l) => l.text);
}

/** Processes holding any file under dir open (a leaked monitor or init would). */
function processesUsing(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`).startsWith(dir)) found.push(Number(entry));
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return [...new Set(found)];
}

describe('createContainer', () => {
  test('runs the process as pid 1 with its hostname, in its cgroups, and logs stdout/stderr in CRI format', async () => {
    const sb = sandbox('basic');
    const status = await run(sb, sb.plan(['sh', '-c', 'echo "pid=$$ host=$(hostname)"; echo oops >&2; grep skiff-native-test /proc/1/cgroup | head -1']));
    expect(status).toMatchObject({ exitCode: 0, signal: null });
    expect(Date.parse(status.finishedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    const lines = logLines(sb);
    expect(lines).toContainEqual({ stream: 'stdout', tag: 'F', text: 'pid=1 host=basic' });
    expect(lines).toContainEqual({ stream: 'stderr', tag: 'F', text: 'oops' });
    expect(stdout(sb).some((l) => l.includes(`/skiff-native-test/basic-${process.pid}`))).toBe(true);
    expect(existsSync(join(sb.stateDir, 'exec.fifo'))).toBe(false);
  });

  test('is born in a cgroup2 cgroup (clone3 CLONE_INTO_CGROUP) when the plan lists one', async () => {
    if (!cgroup2Root) throw new Error('no cgroup2 hierarchy (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)');
    const sb = sandbox('unified');
    const leaf = `skiff-native-test/unified-v2-${process.pid}`;
    const dir = join(cgroup2Root, leaf);
    const plan = sb.plan(['sh', '-c', 'grep "^0::" /proc/self/cgroup']);
    if (!unifiedHost) {
      // Hybrid host: the sandbox's v1 dirs plus one on the unified mount.
      mkdirSync(dir, { recursive: true });
      plan.cgroupProcs = [join(dir, 'cgroup.procs'), ...plan.cgroupProcs];
    }
    try {
      expect((await run(sb, plan)).exitCode).toBe(0);
      const expected = unifiedHost ? sb.cgroupDirs[0]?.slice(cgroup2Root.length) : `/${leaf}`;
      expect(stdout(sb)).toEqual([`0::${expected}`]);
    } finally {
      if (!unifiedHost) {
        // The exited init leaves the cgroup asynchronously: rmdir is EBUSY for a moment.
        await vi.waitFor(() => rmdirSync(dir), { timeout: 5000 });
      }
    }
  });

  test('joins an existing network namespace given by path (the pod\'s)', async () => {
    const sb = sandbox('netns');
    // A namespace kept alive by a bind mount, as the agent keeps a pod's.
    const nsFile = join(sb.dir, 'netns');
    writeFileSync(nsFile, '');
    execFileSync('unshare', [`--net=${nsFile}`, 'true']);
    try {
      const plan = sb.plan(['sleep', '100']);
      plan.namespaces = plan.namespaces.map((ns) => (ns.type === 'network' ? { type: 'network', path: nsFile } : ns));
      const c = await createContainer(plan);
      expect(statSync(`/proc/${c.pid}/ns/net`).ino).toBe(statSync(nsFile).ino);
      expect(readlinkSync(`/proc/${c.pid}/ns/uts`)).not.toBe(readlinkSync('/proc/self/ns/uts'));
      signalProcess(c.pid, c.startTime, 'SIGKILL');
      await waitForExit(sb.stateDir);
    } finally {
      execFileSync('umount', [nsFile]);
    }
  });

  test('moves the monitor into monitorCgroupProcs, away from the agent\'s cgroup', async () => {
    const sb = sandbox('container');
    const monitors = new Sandbox('monitors');
    sandboxes.push(monitors);
    const plan = sb.plan(['sleep', '100']);
    plan.monitorCgroupProcs = monitors.cgroupDirs.map((d) => join(d, 'cgroup.procs'));
    const c = await createContainer(plan);
    expect(monitors.cgroupPids()).toEqual([c.monitorPid]);
    expect(sb.cgroupPids()).toEqual([c.pid]);
    signalProcess(c.pid, c.startTime, 'SIGKILL');
    await waitForExit(sb.stateDir);
  });

  test('a cgroup namespace is rooted at the container\'s own cgroup', async () => {
    const sb = sandbox('cgroupns');
    const plan = sb.plan(['sh', '-c', 'grep -c skiff-native-test /proc/self/cgroup; grep -E "^[0-9]+:(pids|):/$" /proc/self/cgroup | wc -l']);
    plan.namespaces.push({ type: 'cgroup' });
    expect((await run(sb, plan)).exitCode).toBe(0);
    const [named, atRoot] = stdout(sb);
    expect(named).toBe('0'); // no host path leaks into the container's view
    expect(Number(atRoot)).toBeGreaterThan(0);
  });

  test('records exit codes 0 and 1', async () => {
    const ok = sandbox('exit0');
    expect((await run(ok, ok.plan(['true']))).exitCode).toBe(0);
    const bad = sandbox('exit1');
    expect((await run(bad, bad.plan(['false']))).exitCode).toBe(1);
  });

  test('records a death by signal and the pids of init and monitor', async () => {
    const sb = sandbox('signal');
    const c = await createContainer(sb.plan(['sleep', '100']));
    expect(readContainerState(sb.stateDir)).toEqual(c);
    expect(readFileSync(join(sb.stateDir, 'container.pid'), 'utf8').trim()).toBe(String(c.pid));
    expect(readFileSync(join(sb.stateDir, 'monitor.pid'), 'utf8').trim()).toBe(String(c.monitorPid));
    await startContainer(sb.stateDir);
    expect(isAlive(c.pid, c.startTime)).toBe(true);
    expect(isAlive(c.pid, c.startTime + 1)).toBe(false);
    // A pid-namespace init ignores SIGTERM without a handler; SIGKILL from outside works.
    expect(signalProcess(c.pid, c.startTime, 'SIGKILL')).toBe(true);
    const status = await waitForExit(sb.stateDir);
    expect(status).toMatchObject({ exitCode: 137, signal: 9 });
    await vi.waitFor(() => expect(isAlive(c.monitorPid, c.monitorStartTime)).toBe(false));
    expect(signalProcess(c.pid, c.startTime, 'SIGKILL')).toBe(false);
  });

  test('writes lines longer than the buffer as P chunks followed by an F line', async () => {
    const sb = sandbox('partial');
    await run(sb, sb.plan(['sh', '-c', 'head -c 40000 /dev/zero | tr "\\0" x; echo; echo end']));
    const lines = logLines(sb).filter((l) => l.stream === 'stdout');
    expect(lines.filter((l) => l.tag === 'P').length).toBeGreaterThan(0);
    const joined = lines.map((l) => (l.tag === 'P' ? l.text : `${l.text}\n`)).join('');
    expect(joined).toBe(`${'x'.repeat(40000)}\nend\n`);
  });

  test('reopens the log after rotation on request', async () => {
    const sb = sandbox('rotate');
    const c = await createContainer(sb.plan(['sh', '-c', 'echo before; while [ ! -e /tmp/go ]; do sleep 0.02; done; echo after']));
    await startContainer(sb.stateDir);
    await vi.waitFor(() => expect(stdout(sb)).toEqual(['before']));
    renameSync(sb.logPath, `${sb.logPath}.1`);
    expect(await reopenContainerLog(c, sb.logPath)).toBe(true);
    writeFileSync(join(sb.rootfs, 'tmp/go'), '');
    expect((await waitForExit(sb.stateDir)).exitCode).toBe(0);
    expect(stdout(sb)).toEqual(['after']);
    expect(readFileSync(`${sb.logPath}.1`, 'utf8')).toMatch(/ stdout F before\n$/);
  });

  test('applies readonly root, masked and readonly paths, rlimits and capabilities', async () => {
    const sb = sandbox('security');
    const plan = sb.plan(['sh', '-c', [
      'touch /rootfile 2>/dev/null && echo root-writable || echo root-ro',
      'echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo procsys-writable || echo procsys-ro',
      'wc -c < /proc/timer_list',
      'ulimit -n',
      'grep CapEff /proc/self/status',
      'grep NoNewPrivs /proc/self/status',
    ].join('; ')]);
    plan.rootfs.readonly = true;
    const status = await run(sb, plan);
    expect(status.exitCode).toBe(0);
    expect(stdout(sb)).toEqual(['root-ro', 'procsys-ro', '0', '1024', 'CapEff:\t0000000020000420', 'NoNewPrivs:\t1']);
  });

  test('runs as another user and group in an overlay rootfs, leaving the lower layer untouched', async () => {
    const sb = sandbox('overlay');
    const lower = sb.rootfs;
    const upper = join(sb.dir, 'upper'), work = join(sb.dir, 'work'), merged = join(sb.dir, 'merged');
    for (const d of [upper, work, merged]) mkdirSync(d);
    chmodSync(join(lower, 'root'), 0o700);
    const plan = sb.plan(['sh', '-c', 'id -u; id -g; echo hi > /tmp/new-file && echo wrote; pwd']);
    plan.rootfs = { ...plan.rootfs, path: merged, overlay: { lower: [lower], upper, work } };
    plan.process.uid = 65534;
    plan.process.gid = 65534;
    plan.process.cwd = '/root'; // 0700 root: entered as root, like runc, before the uid switch
    const status = await run(sb, plan);
    expect(status.exitCode).toBe(0);
    expect(stdout(sb)).toEqual(['65534', '65534', 'wrote', '/root']);
    expect(readFileSync(join(upper, 'tmp/new-file'), 'utf8')).toBe('hi\n');
    expect(existsSync(join(lower, 'tmp/new-file'))).toBe(false);
    expect(readdirSync(merged)).toEqual([]);  // the overlay only ever existed in the container's mount ns
  });

  test('binds host paths read-write and read-only (remount pass)', async () => {
    const sb = sandbox('binds');
    const host = join(sb.dir, 'host-data');
    mkdirSync(host);
    writeFileSync(join(host, 'file'), 'from-host\n');
    const plan = sb.plan(['sh', '-c', 'cat /ro/file; touch /ro/new 2>/dev/null && echo ro-writable || echo ro-denied; echo hi > /rw/new && echo rw-ok']);
    const MS_BIND = 4096, MS_REC = 16384, MS_RDONLY = 1;
    plan.mounts.push(
      { destination: '/ro', source: host, type: 'bind', flags: MS_BIND | MS_REC | MS_RDONLY, propagation: 0, data: '', remount: true },
      { destination: '/rw', source: host, type: 'bind', flags: MS_BIND | MS_REC, propagation: 0, data: '', remount: false },
    );
    expect((await run(sb, plan)).exitCode).toBe(0);
    expect(stdout(sb)).toEqual(['from-host', 'ro-denied', 'rw-ok']);
    expect(readFileSync(join(host, 'new'), 'utf8')).toBe('hi\n');
  });

  test('uses the given fds directly with io.mode inherit', async () => {
    const sb = sandbox('inherit');
    const out = join(sb.dir, 'out.txt');
    writeFileSync(out, '');
    const fd = openSync(out, 'w');
    try {
      const status = await run(sb, sb.plan(['sh', '-c', 'echo to-stdout; echo to-stderr >&2'], { io: { mode: 'inherit', stdio: [0, fd, fd] } }));
      expect(status.exitCode).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(out, 'utf8')).toBe('to-stdout\nto-stderr\n');
    expect(existsSync(sb.logPath)).toBe(false);
  });
});

/** Classic BPF for x86_64: mkdir and mkdirat fail with EPERM, everything else is allowed. */
function denyMkdirProgram(): Buffer {
  const insns: [number, number, number, number][] = [
    [0x20, 0, 0, 4], // ld [arch]
    [0x15, 0, 3, 0xc000003e], // jeq AUDIT_ARCH_X86_64 ? next : allow
    [0x20, 0, 0, 0], // ld [nr]
    [0x15, 2, 0, 83], // mkdir -> errno
    [0x15, 1, 0, 258], // mkdirat -> errno
    [0x06, 0, 0, 0x7fff0000], // SECCOMP_RET_ALLOW
    [0x06, 0, 0, 0x00050001], // SECCOMP_RET_ERRNO | EPERM
  ];
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    b.writeUInt32LE(k, i * 8 + 4);
  });
  return b;
}

describe('process settings', () => {
  test.each([true, false])('loads the seccomp program (noNewPrivileges %s)', async (nnp) => {
    const sb = sandbox(`seccomp-${nnp}`);
    const plan = sb.plan(['sh', '-c', 'mkdir /tmp/d 2>/dev/null && echo made || echo denied; touch /tmp/f && echo touched']);
    plan.process.noNewPrivileges = nnp;
    plan.seccomp = { program: denyMkdirProgram(), flags: 0 };
    expect((await run(sb, plan)).exitCode).toBe(0);
    expect(stdout(sb)).toEqual(['denied', 'touched']);
  });

  test('writes sysctls and sets the domain name', async () => {
    const sb = sandbox('sysctl');
    const plan = sb.plan(['sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/domainname']);
    plan.sysctl = { 'net.ipv4.ip_forward': '1' };
    plan.domainname = 'example.org';
    expect((await run(sb, plan)).exitCode).toBe(0);
    expect(stdout(sb)).toEqual(['1', 'example.org']);
  });

  test('gives a terminal container a pty as controlling terminal and logs its output', async () => {
    const sb = sandbox('tty');
    const plan = sb.plan(['sh', '-c', 'tty; test -t 0 && test -t 1 && echo is-a-tty; stat -c %t /dev/console']);
    plan.process.terminal = true;
    expect((await run(sb, plan)).exitCode).toBe(0);
    expect(stdout(sb).map((l) => l.replace(/\r$/, ''))).toEqual(['/dev/pts/0', 'is-a-tty', '88']); // console is a pts (major 136)
  });

  test('hands the pty master to the caller with io.mode inherit', async () => {
    const sb = sandbox('tty-inherit');
    const plan = sb.plan(['sh', '-c', 'stty size; echo from-tty'], { io: { mode: 'inherit' } });
    plan.process.terminal = true;
    const c = await createContainer(plan);
    expect(c.terminalFd).toBeGreaterThan(2);
    const fd = c.terminalFd as number;
    try {
      resizeTerminal(fd, 33, 99);
      await startContainer(sb.stateDir);
      let text = '';
      const buf = Buffer.alloc(4096);
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buf);
        } catch {
          break; // EIO: every slave fd is closed
        }
        if (n === 0) break;
        text += buf.subarray(0, n).toString();
      }
      expect(text.replace(/\r/g, '')).toBe('33 99\nfrom-tty\n');
      expect((await waitForExit(sb.stateDir)).exitCode).toBe(0);
    } finally {
      closeSync(fd);
    }
  });
});

describe('create failures', () => {
  async function expectFailure(sb: Sandbox, plan: ContainerPlan, step: string, code: string): Promise<NativeError> {
    const err = await createContainer(plan).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NativeError);
    const ne = err as NativeError;
    expect({ step: ne.step, code: ne.code }).toEqual({ step, code });
    expect(steps()).toContain(ne.step);
    expect(ne.errno).toBeLessThan(0);
    // Nothing left behind: no process in the cgroups or holding the sandbox's files, no fifo.
    expect(sb.cgroupPids()).toEqual([]);
    await vi.waitFor(() => expect(processesUsing(sb.dir)).toEqual([]));
    expect(existsSync(join(sb.stateDir, 'exec.fifo'))).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.dir);
    return ne;
  }

  test('a missing binary fails at create with process.lookup / ENOENT', async () => {
    const sb = sandbox('nobinary');
    const err = await expectFailure(sb, sb.plan(['no-such-binary']), 'process.lookup', 'ENOENT');
    expect(err.message).toContain('no-such-binary');
  });

  test('a bad mount fails with mounts.mount naming the destination', async () => {
    const sb = sandbox('badmount');
    const plan = sb.plan(['true']);
    plan.mounts.push({ destination: '/data', source: 'x', type: 'no-such-fs', flags: 0, propagation: 0, data: '', remount: false });
    const err = await expectFailure(sb, plan, 'mounts.mount', 'ENODEV');
    expect(err.path).toBe('/data');
  });

  test('setup that does not finish in setupTimeoutMs fails with init.sync / ETIMEDOUT', async () => {
    const sb = sandbox('timeout');
    // A frozen cgroup stops the init right after it is placed there.
    const freezer = sb.cgroupDirs.find((d) => d.includes('/freezer/'));
    const [file, frozen, thawed] = freezer ? [join(freezer, 'freezer.state'), 'FROZEN', 'THAWED'] : [join(sb.cgroupDirs[0] as string, 'cgroup.freeze'), '1', '0'];
    writeFileSync(file, frozen);
    const plan = sb.plan(['true']);
    plan.setupTimeoutMs = 300;
    const started = Date.now();
    const err = await createContainer(plan).then(() => undefined, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    writeFileSync(file, thawed);
    expect(err).toMatchObject({ step: 'init.sync', code: 'ETIMEDOUT' });
    await vi.waitFor(() => expect(sb.cgroupPids()).toEqual([]));
    await vi.waitFor(() => expect(processesUsing(sb.dir)).toEqual([]));
  });

  test('an unsupported namespace type is rejected by name at plan.decode', async () => {
    const sb = sandbox('userns');
    const plan = sb.plan(['true']);
    plan.namespaces.push({ type: 'user' });
    const err = await expectFailure(sb, plan, 'plan.decode', 'EINVAL');
    expect(err.message).toContain('type user is not supported');
  });

  test('a cgroup that does not exist fails with cgroup.join before the init runs', async () => {
    const sb = sandbox('badcgroup');
    const plan = sb.plan(['true']);
    plan.cgroupProcs = [join(sb.cgroupDirs[0] as string, 'does-not-exist', 'cgroup.procs')];
    await expectFailure(sb, plan, 'cgroup.join', 'ENOENT');
  });
});

describe('mount targets stay inside the rootfs', () => {
  test.each([
    ['absolute', '/'],
    ['relative', '../../../../../../../../..'],
  ])('a %s symlink rootfs/etc -> %s does not send a mount or mkdir to the host', async (_kind, target) => {
    const sb = sandbox(`symlink-${_kind}`);
    const name = `skiff-native-escape-${process.pid}`;
    rmSync(join(sb.rootfs, 'etc'), { recursive: true });
    symlinkSync(target, join(sb.rootfs, 'etc'));
    const plan = sb.plan(['sh', '-c', `ls -d /${name}/inner && grep -c " /${name}/inner " /proc/self/mountinfo`]);
    plan.mounts.push({ destination: `/etc/${name}/inner`, source: 'tmpfs', type: 'tmpfs', flags: 0, propagation: 0, data: 'size=1m', remount: false });
    const status = await run(sb, plan);
    expect(existsSync(`/${name}`)).toBe(false);
    expect(status.exitCode).toBe(0);
    expect(stdout(sb)).toEqual([`/${name}/inner`, '1']);
    expect(existsSync(join(sb.rootfs, name, 'inner'))).toBe(true);
  });
});

describe('monitor', () => {
  test('keeps the container running and records its exit after the agent is SIGKILLed', async () => {
    const sb = sandbox('orphan');
    const planFile = join(sb.dir, 'plan.bin');
    writeFileSync(planFile, encodeContainerPlan(sb.plan(['sh', '-c', 'sleep 1; exit 7'])));
    const addonPath = createRequire(import.meta.url).resolve('../../native/build/Release/skiff.node');
    const script = `
      const a = require(${JSON.stringify(addonPath)});
      const plan = require('fs').readFileSync(${JSON.stringify(planFile)});
      a.createContainer(plan, ${JSON.stringify(monitorPath())}, null)
        .then((c) => { const f = a.startContainer(${JSON.stringify(join(sb.stateDir, 'exec.fifo'))}); if (f) throw f; return c; })
        .then((c) => { process.stdout.write(JSON.stringify(c) + '\\n'); setInterval(() => {}, 1000); },
              (e) => { process.stdout.write(JSON.stringify({ error: e }) + '\\n'); process.exit(1); });`;
    const agent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => agent.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    const c = JSON.parse(line) as { pid: number; startTime: number; monitorPid: number; monitorStartTime: number };
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
    expect(isAlive(c.monitorPid, c.monitorStartTime)).toBe(true);
    expect(isAlive(c.pid, c.startTime)).toBe(true);
    expect(readExitStatus(sb.stateDir)).toBeUndefined();
    const status = await waitForExit(sb.stateDir);
    expect(status.exitCode).toBe(7);
  });
});

describe('waitForExit', () => {
  test('rejects when the monitor dies without recording an exit', async () => {
    const sb = sandbox('monitor-killed');
    const c = await createContainer(sb.plan(['sleep', '100']));
    await startContainer(sb.stateDir);
    const waiting = waitForExit(sb.stateDir, { monitorCheckMs: 50 });
    expect(signalProcess(c.monitorPid, c.monitorStartTime, 'SIGKILL')).toBe(true);
    await expect(waiting).rejects.toThrow(/monitor \(pid \d+\) died without recording an exit/);
    signalProcess(c.pid, c.startTime, 'SIGKILL');
  });
});

describe('execInContainer', () => {
  test('joins the init\'s namespaces and cgroups without exposing the host node binary', async () => {
    const sb = sandbox('exec');
    const c = await createContainer(sb.plan(['sleep', '100']));
    await startContainer(sb.stateDir);
    const recycled = await execInContainer(sb.execPlan(c.pid, ['true'], { startTime: c.startTime + 1 })).then(() => undefined, (e: unknown) => e);
    expect(recycled).toMatchObject({ code: 'ESRCH', step: 'namespaces.open' });
    const proc = await execInContainer(sb.execPlan(c.pid, ['sh', '-c', 'echo "pid-in-ns=$$ host=$(hostname)"; sleep 0.5'], { startTime: c.startTime }));
    try {
      for (const ns of ['mnt', 'pid', 'uts', 'ipc', 'net']) {
        expect(readlinkSync(`/proc/${proc.pid}/ns/${ns}`), ns).toBe(readlinkSync(`/proc/${c.pid}/ns/${ns}`));
      }
      expect(readlinkSync(`/proc/${proc.pid}/exe`)).not.toBe(readlinkSync(`/proc/${process.pid}/exe`));
      expect(readlinkSync(`/proc/${proc.pid}/exe`)).toMatch(/busybox$/);
      expect(sb.cgroupPids()).toContain(proc.pid);
      const chunks: Buffer[] = [];
      for await (const chunk of createReadStream('', { fd: proc.stdout as number })) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toMatch(/^pid-in-ns=\d+ host=exec\n$/);
      expect(await proc.exited).toEqual({ exitCode: 0, signal: null });
    } finally {
      for (const fd of [proc.stdin, proc.stderr]) if (fd !== null) closeSync(fd);
    }
    signalProcess(c.pid, c.startTime, 'SIGKILL');
    await waitForExit(sb.stateDir);
  });

  test('applies the process settings to the exec\'d process (user, capabilities, no_new_privs, seccomp)', async () => {
    const sb = sandbox('exec-sec');
    const c = await createContainer(sb.plan(['sleep', '100']));
    await startContainer(sb.stateDir);
    const plan = sb.execPlan(c.pid, ['sh', '-c', 'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; mkdir /tmp/x 2>/dev/null || echo denied']);
    plan.process.uid = 65534;
    plan.process.gid = 65534;
    plan.seccomp = { program: denyMkdirProgram(), flags: 0 };
    const proc = await execInContainer(plan);
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream('', { fd: proc.stdout as number })) chunks.push(chunk as Buffer);
    for (const fd of [proc.stdin, proc.stderr]) if (fd !== null) closeSync(fd);
    expect(Buffer.concat(chunks).toString().split('\n')).toEqual(['65534', 'CapEff:\t0000000000000000', 'NoNewPrivs:\t1', 'denied', '']);
    expect((await proc.exited).exitCode).toBe(0);
    signalProcess(c.pid, c.startTime, 'SIGKILL');
    await waitForExit(sb.stateDir);
  });

  test('gives an exec with process.terminal a pty of the container', async () => {
    const sb = sandbox('exec-tty');
    const c = await createContainer(sb.plan(['sleep', '100']));
    await startContainer(sb.stateDir);
    const plan = sb.execPlan(c.pid, ['sh', '-c', 'tty; test -t 0 && echo is-a-tty']);
    plan.process.terminal = true;
    const proc = await execInContainer(plan);
    expect({ stdin: proc.stdin, stdout: proc.stdout }).toEqual({ stdin: null, stdout: null });
    const fd = proc.terminalFd as number;
    try {
      let text = '';
      const buf = Buffer.alloc(4096);
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buf);
        } catch {
          break; // EIO once the process closed the slave
        }
        if (n === 0) break;
        text += buf.subarray(0, n).toString();
      }
      expect(text.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+\nis-a-tty\n$/);
      expect(await proc.exited).toEqual({ exitCode: 0, signal: null });
    } finally {
      closeSync(fd);
    }
    signalProcess(c.pid, c.startTime, 'SIGKILL');
    await waitForExit(sb.stateDir);
  });

  test('a missing binary fails with process.lookup and reports no process', async () => {
    const sb = sandbox('execfail');
    const c = await createContainer(sb.plan(['sleep', '100']));
    await startContainer(sb.stateDir);
    const err = await execInContainer(sb.execPlan(c.pid, ['nope'])).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NativeError);
    expect((err as NativeError).step).toBe('process.lookup');
    await vi.waitFor(() => expect(sb.cgroupPids()).toEqual([c.pid]));
    signalProcess(c.pid, c.startTime, 'SIGKILL');
    await waitForExit(sb.stateDir);
  });
});
