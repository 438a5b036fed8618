// Root filesystem and mounts, in runc's order (see init.cc). Every path inside the rootfs
// is resolved with openat2(RESOLVE_IN_ROOT) against an fd of the rootfs, and mounts go onto
// /proc/self/fd/N of the resolved fd, so a symlink in an image (rootfs/etc -> /) can never
// make a mount land on the host.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

#include "fd.h"
#include "steps.h"

namespace {

const char* relative(const char* path) {
  while (*path == '/') path++;
  return *path == '\0' ? "." : path;
}

int open_in_root(int rootfd, const char* path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, rootfd, relative(path), &how, sizeof how));
}

// Splits the last component off `path` into buf (parent) and *name; async-signal-safe.
bool split_parent(const char* path, char (&buf)[4096], const char** name) {
  size_t len = strlen(path);
  if (len + 1 > sizeof buf) return false;
  memcpy(buf, path, len + 1);
  while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
  char* slash = strrchr(buf, '/');
  if (slash == nullptr) {
    *name = path;
    buf[0] = '.';
    buf[1] = '\0';
    return true;
  }
  *name = path + (slash - buf) + 1;
  if (slash == buf) slash[1] = '\0'; else *slash = '\0';
  return true;
}

// Opens the directory `path` inside the root, creating missing components (0755) one at a
// time with mkdirat on an already-resolved parent fd, so no created directory lands outside.
int mkdir_in_root(int rootfd, const char* path, Failure* f) {
  int fd = open_in_root(rootfd, path, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) fail(f, Step::mounts_resolve, "openat2", path);
    return fd;
  }
  char prefix[4096];
  size_t len = strlen(path);
  if (len >= sizeof prefix) {
    fail_with(f, Step::mounts_resolve, ENAMETOOLONG, "openat2", path);
    return -1;
  }
  Fd parent(open_in_root(rootfd, "/", O_PATH | O_DIRECTORY));
  if (!parent.ok()) {
    fail(f, Step::mounts_resolve, "openat2", "/");
    return -1;
  }
  size_t i = 0;
  while (i < len) {
    while (i < len && path[i] == '/') i++;
    size_t start = i;
    while (i < len && path[i] != '/') i++;
    if (i == start) break;
    memcpy(prefix, path, i);
    prefix[i] = '\0';
    int next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
    if (next < 0 && errno == ENOENT) {
      char name[256];
      size_t n = i - start;
      if (n >= sizeof name) {
        fail_with(f, Step::mounts_mkdir, ENAMETOOLONG, "mkdirat", prefix);
        return -1;
      }
      memcpy(name, path + start, n);
      name[n] = '\0';
      if (mkdirat(parent.get(), name, 0755) != 0 && errno != EEXIST) {
        fail(f, Step::mounts_mkdir, "mkdirat", prefix);
        return -1;
      }
      next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
    }
    if (next < 0) {
      fail(f, Step::mounts_resolve, "openat2", prefix);
      return -1;
    }
    parent.reset(next);
  }
  return parent.release();
}

// A bind of a file needs a file to mount on: create it empty (O_EXCL|O_NOFOLLOW on the
// resolved parent) when missing.
int mkfile_in_root(int rootfd, const char* path, Failure* f) {
  int fd = open_in_root(rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) fail(f, Step::mounts_resolve, "openat2", path);
    return fd;
  }
  char parent_path[4096];
  const char* name = nullptr;
  if (!split_parent(path, parent_path, &name)) {
    fail_with(f, Step::mounts_resolve, ENAMETOOLONG, "openat2", path);
    return -1;
  }
  Fd parent(mkdir_in_root(rootfd, parent_path, f));
  if (!parent.ok()) return -1;
  Fd created(openat(parent.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!created.ok() && errno != EEXIST) {
    fail(f, Step::mounts_mkdir, "openat", path);
    return -1;
  }
  fd = open_in_root(rootfd, path, O_PATH);
  if (fd < 0) fail(f, Step::mounts_resolve, "openat2", path);
  return fd;
}

bool source_is_dir(const PlanMount& m) {
  if ((m.flags & MS_BIND) == 0 && m.type != "bind") return true;
  struct stat st;
  return stat(m.source.c_str(), &st) != 0 || S_ISDIR(st.st_mode);
}

unsigned long statvfs_keep_flags(const char* path) {
  struct statvfs sv;
  if (statvfs(path, &sv) != 0) return 0;
  unsigned long keep = 0;
  if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
  return keep;
}

}  // namespace

bool prepare_rootfs(const ContainerPlan& plan, Failure* f) {
  const char* root = plan.root_path.c_str();
  // Our copy of the host's mount tree must not propagate anything back to the host: make
  // `/` slave or private (recursively) before the first mount.
  unsigned long prop = plan.root_propagation != 0 ? plan.root_propagation : (MS_REC | MS_PRIVATE);
  if (mount(nullptr, "/", nullptr, prop, nullptr) != 0) return fail(f, Step::rootfs_propagation, "mount", "/");
  // pivot_root refuses a new root whose parent mount is shared; with `/` rslave that only
  // matters for an explicitly shared parent, but runc makes it private anyway: walk up from
  // the rootfs to the first mount point (EINVAL = not a mount point) and make it private.
  char parent[4096];
  size_t len = plan.root_path.size();
  if (len >= sizeof parent) return fail_with(f, Step::rootfs_parent_private, ENAMETOOLONG, "mount", root);
  memcpy(parent, root, len + 1);
  for (;;) {
    char* slash = strrchr(parent, '/');
    if (slash == nullptr) break;
    if (slash == parent) slash[1] = '\0'; else *slash = '\0';
    if (mount(nullptr, parent, nullptr, MS_PRIVATE, nullptr) == 0) break;
    if (errno != EINVAL || strcmp(parent, "/") == 0) return fail(f, Step::rootfs_parent_private, "mount", parent);
  }
  if (!plan.overlay_data.empty() &&
      mount("overlay", root, "overlay", 0, plan.overlay_data.c_str()) != 0)
    return fail(f, Step::rootfs_overlay, "mount", root);
  // Binding the rootfs onto itself makes it a mount point, which pivot_root needs.
  if (mount(root, root, nullptr, MS_BIND | MS_REC, nullptr) != 0) return fail(f, Step::rootfs_bind, "mount", root);
  return true;
}

int open_rootfs(const ContainerPlan& plan, Failure* f) {
  int fd = open(plan.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(f, Step::rootfs_open, "open", plan.root_path.c_str());
  return fd;
}

bool mount_all(int rootfd, const ContainerPlan& plan, Failure* f) {
  char target[32];
  for (const auto& m : plan.mounts) {
    const char* dest = m.destination.c_str();
    Fd fd(source_is_dir(m) ? mkdir_in_root(rootfd, dest, f) : mkfile_in_root(rootfd, dest, f));
    if (!fd.ok()) return false;
    bool bind = (m.flags & MS_BIND) != 0 || m.type == "bind";
    const char* type = bind ? nullptr : m.type.c_str();
    unsigned long flags = m.flags | (bind ? MS_BIND : 0);
    if (mount(m.source.c_str(), proc_fd_path(target, fd.get()), type, flags,
              m.data.empty() ? nullptr : m.data.c_str()) != 0)
      return fail(f, Step::mounts_mount, "mount", dest);
    // A bind ignores everything but MS_BIND|MS_REC on the first call; ro/nosuid/... need a
    // remount of the new mount, so re-resolve the target to get the mount's own root.
    if (m.remount || m.propagation != 0) {
      Fd mounted(open_in_root(rootfd, dest, O_PATH));
      if (!mounted.ok()) return fail(f, Step::mounts_resolve, "openat2", dest);
      proc_fd_path(target, mounted.get());
      if (m.remount && mount(nullptr, target, nullptr, flags | MS_REMOUNT, nullptr) != 0)
        return fail(f, Step::mounts_remount, "mount", dest);
      if (m.propagation != 0 && mount(nullptr, target, nullptr, m.propagation, nullptr) != 0)
        return fail(f, Step::mounts_propagation, "mount", dest);
    }
  }
  return true;
}

bool create_devices(int rootfd, const ContainerPlan& plan, Failure* f) {
  char parent_path[4096];
  for (const auto& d : plan.devices) {
    const char* name = nullptr;
    if (!split_parent(d.path.c_str(), parent_path, &name))
      return fail_with(f, Step::devices_mknod, ENAMETOOLONG, "mknodat", d.path.c_str());
    Fd parent(mkdir_in_root(rootfd, parent_path, f));
    if (!parent.ok()) return false;
    mode_t kind = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    if (mknodat(parent.get(), name, kind | (d.mode & 07777), makedev(d.major, d.minor)) != 0)
      return fail(f, Step::devices_mknod, "mknodat", d.path.c_str());
    if (fchownat(parent.get(), name, d.uid, d.gid, AT_SYMLINK_NOFOLLOW) != 0)
      return fail(f, Step::devices_mknod, "fchownat", d.path.c_str());
  }
  for (const auto& link : plan.dev_symlinks) {
    const char* name = nullptr;
    if (!split_parent(link.first.c_str(), parent_path, &name))
      return fail_with(f, Step::devices_symlink, ENAMETOOLONG, "symlinkat", link.first.c_str());
    Fd parent(mkdir_in_root(rootfd, parent_path, f));
    if (!parent.ok()) return false;
    if (symlinkat(link.second.c_str(), parent.get(), name) != 0)
      return fail(f, Step::devices_symlink, "symlinkat", link.first.c_str());
  }
  return true;
}

bool pivot_into(int rootfd, const ContainerPlan& plan, Failure* f) {
  const char* root = plan.root_path.c_str();
  // pivot_root(".", ".") (the LXC trick, see pivot_root(2)): the old root ends up stacked
  // on top of the new one at "."; unmount it lazily after making it a slave so the
  // unmount does not propagate anywhere.
  if (fchdir(rootfd) != 0) return fail(f, Step::rootfs_pivot_root, "fchdir", root);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return fail(f, Step::rootfs_pivot_root, "pivot_root", root);
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return fail(f, Step::rootfs_umount_old_root, "mount", "/");
  if (umount2(".", MNT_DETACH) != 0) return fail(f, Step::rootfs_umount_old_root, "umount2", "/");
  if (chdir("/") != 0) return fail(f, Step::rootfs_pivot_root, "chdir", "/");
  return true;
}

bool write_sysctls(const ContainerPlan& plan, Failure* f) {
  for (const auto& kv : plan.sysctls) {
    Fd fd(open(kv.first.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.ok()) return fail(f, Step::sysctl_write, "open", kv.first.c_str());
    if (!write_all(fd.get(), kv.second.data(), kv.second.size())) return fail(f, Step::sysctl_write, "write", kv.first.c_str());
  }
  return true;
}

bool make_readonly_paths(const ContainerPlan& plan, Failure* f) {
  char target[32];
  for (const auto& p : plan.readonly_paths) {
    Fd fd(open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.ok() && errno == ENOENT) continue;
    if (!fd.ok()) return fail(f, Step::paths_readonly, "open", p.c_str());
    proc_fd_path(target, fd.get());
    if (mount(target, target, nullptr, MS_BIND | MS_REC, nullptr) != 0) return fail(f, Step::paths_readonly, "mount", p.c_str());
    Fd bound(open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!bound.ok()) return fail(f, Step::paths_readonly, "open", p.c_str());
    proc_fd_path(target, bound.get());
    unsigned long keep = statvfs_keep_flags(target);
    if (mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) != 0)
      return fail(f, Step::paths_readonly, "mount", p.c_str());
  }
  return true;
}

int open_verified_dev_null(Step step, Failure* f) {
  Fd fd(open("/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (!fd.ok()) {
    fail(f, step, "open", "/dev/null");
    return -1;
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    fail(f, step, "fstat", "/dev/null");
    return -1;
  }
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    fail_with(f, step, ENODEV, "fstat", "/dev/null");
    return -1;
  }
  return fd.release();
}

bool mask_paths(const ContainerPlan& plan, Failure* f) {
  if (plan.masked.empty()) return true;
  // Bind the verified /dev/null through its fd, never by path: a /dev/null swapped for a
  // symlink to a procfs file would otherwise become a writable bind (CVE-2025-31133).
  Fd dev_null(open_verified_dev_null(Step::paths_dev_null, f));
  if (!dev_null.ok()) return false;
  char source[32], target[32];
  proc_fd_path(source, dev_null.get());
  for (const auto& p : plan.masked) {
    Fd fd(open(p.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.ok() && errno == ENOENT) continue;
    if (!fd.ok()) return fail(f, Step::paths_masked, "open", p.c_str());
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return fail(f, Step::paths_masked, "fstat", p.c_str());
    proc_fd_path(target, fd.get());
    int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", target, "tmpfs", MS_RDONLY, nullptr)
                                 : mount(source, target, nullptr, MS_BIND, nullptr);
    if (rc != 0) return fail(f, Step::paths_masked, "mount", p.c_str());
  }
  return true;
}

bool make_root_readonly(const ContainerPlan& plan, Failure* f) {
  if (!plan.root_readonly) return true;
  unsigned long keep = statvfs_keep_flags("/");
  if (mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) != 0)
    return fail(f, Step::rootfs_readonly, "mount", "/");
  return true;
}
