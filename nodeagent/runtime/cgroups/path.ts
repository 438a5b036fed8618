// The cgroupsPath rule (runc and crun differ here; runtime-notes §1.3, §2.5):
//
//   "/a/b"   absolute: <hierarchy mount>/a/b in every hierarchy (crun's reading).
//   "a/b"    relative: under the cgroup the runtime process itself is in, per hierarchy
//            (runc's reading), so a runtime started in a delegated cgroup stays inside it.
//   missing  "/<container id>", as crun does.
// `..` components and systemd's "slice:prefix:name" form are refused: there is no
// systemd driver, and a path must never climb out of its hierarchy.
import { posix } from 'node:path';

/** Resolves `cgroupsPath` for container `id` to a path inside a hierarchy whose own cgroup is `ownPath`. */
export function resolveCgroupPath(cgroupsPath: string | undefined, id: string, ownPath: string): string {
  const path = cgroupsPath === undefined || cgroupsPath === '' ? `/${id}` : cgroupsPath;
  if (/^[^/]*:[^/]*:/.test(path)) {
    throw new Error(`linux.cgroupsPath ${path}: systemd slice paths are not supported (no systemd cgroup driver); use a filesystem path`);
  }
  if (path.split('/').includes('..')) {
    throw new Error(`linux.cgroupsPath ${path}: ".." is not allowed`);
  }
  const full = path.startsWith('/') ? path : posix.join(ownPath || '/', path);
  const normalized = posix.normalize(full);
  if (normalized === '/') throw new Error(`linux.cgroupsPath ${path}: resolves to the root cgroup; give the container its own`);
  return normalized.replace(/\/$/, '');
}
