// Shared setup for the runtime tests that run real containers (as root).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../../harness/busybox.js';
import { installProbe, type ProbeReport } from '../../harness/probe.js';

/** Fails (never skips) when the tests cannot run here: they need root for namespaces and cgroups. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('runtime tests need root (namespaces, mounts, cgroups); run them as root (CI does)');
}

export interface Fixture {
  dir: string;
  /** Busybox rootfs with /probe. */
  rootfs: string;
  /** Runtime state root. */
  root: string;
  /** cgroup parent every test container lives under, named after this component. */
  cgroupParent: string;
}

/** A temp dir with a busybox+probe rootfs, a state root and a unique cgroup parent. */
export function makeFixture(name: string): Fixture {
  requireRoot();
  const dir = mkdtempSync(join(tmpdir(), `skiff-rt-${name}-`));
  const rootfs = makeBusyboxRootfs(join(dir, 'bundle', 'rootfs'));
  installProbe(rootfs);
  const root = join(dir, 'state');
  mkdirSync(root);
  return { dir, rootfs, root, cgroupParent: `/skiff-rt-test-${name}-${process.pid}` };
}

/** Every cgroup directory named like the fixture's parent, in any hierarchy. */
export function leftoverCgroups(f: Fixture): string[] {
  try {
    return execFileSync('find', ['/sys/fs/cgroup', '-name', `${f.cgroupParent.slice(1)}*`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Mounts whose source or target lies inside the fixture's directory. */
export function leftoverMounts(f: Fixture): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(f.dir));
}

/** Removes the fixture's cgroup parents (children first) and its directory. */
export function removeFixture(f: Fixture): void {
  for (const dir of leftoverCgroups(f).sort((a, b) => b.length - a.length)) {
    try { rmdirSync(dir); } catch { /* still busy: the assertion reports it */ }
  }
  rmSync(f.dir, { recursive: true, force: true });
}

/** CRI log lines: `<RFC3339Nano> <stream> <P|F> <content>`. */
export interface CriLine { time: string; stream: 'stdout' | 'stderr'; tag: string; content: string }

export function readCriLog(path: string): CriLine[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => {
    const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(line);
    if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(line)}`);
    return { time: m[1]!, stream: m[2] as 'stdout' | 'stderr', tag: m[3]!, content: m[4]! };
  });
}

/** The probe's JSON report from a CRI log (first stdout line starting with `{`). */
export function probeReport(logPath: string): ProbeReport {
  const line = readCriLog(logPath).find((l) => l.stream === 'stdout' && l.content.startsWith('{'));
  if (!line) throw new Error(`no probe report in ${logPath}: ${existsSync(logPath) ? readFileSync(logPath, 'utf8') : 'no log'}`);
  return JSON.parse(line.content) as ProbeReport;
}

/** Ids of containers left in a state root. */
export function leftoverState(f: Fixture): string[] {
  return existsSync(f.root) ? readdirSync(f.root) : [];
}
