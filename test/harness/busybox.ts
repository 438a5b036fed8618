// A minimal root filesystem made from Debian's busybox-static: enough for most runtime
// and image tests, built in a temp directory and removed by the caller.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

/** Fails with a clear message when busybox-static is missing (CI installs it). */
export function requireBusybox(): void {
  if (!existsSync(BUSYBOX)) throw new Error('busybox-static is not installed: apt-get install -y busybox-static');
}

/** Lays out a busybox rootfs at `dir`: /bin/busybox, one symlink per applet, /etc basics. */
export function makeBusyboxRootfs(dir: string): string {
  requireBusybox();
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'usr/bin', 'usr/sbin', 'var']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list']).toString().split('\n').filter(Boolean);
  for (const applet of applets) {
    const link = join(dir, 'bin', applet);
    if (applet !== 'busybox' && !existsSync(link)) symlinkSync('busybox', link);
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
  return dir;
}
