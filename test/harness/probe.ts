// Builds test/harness/probe.c with `cc -static` once per source version and caches the
// binary in node_modules/.cache (ignored, and removed with the checkout's dependencies, not
// left in /tmp), so runtime tests can copy it into any rootfs as /probe.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./probe.c', import.meta.url));

/** Path of the static probe binary, building it when the cached copy is missing or stale. */
export function buildProbe(): string {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = fileURLToPath(new URL('../../node_modules/.cache/skiff-probe/', import.meta.url));
  const out = join(dir, `probe-${hash}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-static', '-O2', '-o', tmp, SOURCE], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`build probe ${SOURCE}: cc -static failed (install gcc and libc6-dev): ${stderr || (err as Error).message}`);
  }
  renameSync(tmp, out); // atomic: parallel test files never see half a binary
  return out;
}

/** Copies the probe into `rootfs` as /probe (mode 0755) and returns its in-container path. */
export function installProbe(rootfs: string): string {
  const target = join(rootfs, 'probe');
  copyFileSync(buildProbe(), target);
  chmodSync(target, 0o755);
  return '/probe';
}

/** What `probe report` prints. */
export interface ProbeReport {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  hostname: string;
  CapInh: string;
  CapPrm: string;
  CapEff: string;
  CapBnd: string;
  CapAmb: string;
  NoNewPrivs: string;
  Seccomp: string;
  kcoreBytes: number;
  kcoreErrno: number;
  keysBytes: number;
  firmwareEntries: number;
  procSysWriteErrno: number;
  sysMkdirErrno: number;
  sysrqWriteErrno: number;
  keyctlErrno: number;
  unshareErrno: number;
  mountErrno: number;
  ns: Record<'pid' | 'mnt' | 'net' | 'uts' | 'ipc', string>;
  cgroup: string;
  mountinfo: string;
  cwd: string;
}
