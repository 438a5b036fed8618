// The container init: the process the monitor clones into the new namespaces. It runs the
// steps in runc's order (docs: native/README.md) and then blocks on the exec fifo until
// `start`. It only reads memory the monitor prepared before clone and makes syscalls;
// every failure is sent to the monitor as a SyncMsg naming the step.
#include "init.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "steps.h"

namespace {

[[noreturn]] void die(int sync_fd, const Failure& f, int code) {
  SyncMsg m;
  msg_from_failure(&m, f);
  (void)!send(sync_fd, &m, sizeof m, MSG_NOSIGNAL);
  _exit(code);
}

bool wait_for_go(int sync_fd, Failure* f) {
  SyncMsg m;
  ssize_t n = recv(sync_fd, &m, sizeof m, 0);
  if (n != static_cast<ssize_t>(sizeof m) || m.kind != MSG_GO)
    return fail_with(f, Step::init_sync, n < 0 ? errno : EPIPE, "recv", nullptr);
  return true;
}

bool join_and_unshare(const InitContext& c, Failure* f) {
  for (int i = 0; i < c.join_count; i++)
    if (!join_namespace(c.join_fds[i], c.join_types[i], c.join_paths[i], f)) return false;
  if (c.unshare_cgroup && unshare(CLONE_NEWCGROUP) != 0)
    return fail(f, Step::namespaces_unshare_cgroup, "unshare", nullptr);
  return true;
}

bool redirect_output(const InitContext& c, Failure* f) {
  if (c.stdout_fd >= 0 && dup2(c.stdout_fd, 1) < 0) return fail(f, Step::init_stdio, "dup2", nullptr);
  if (c.stderr_fd >= 0 && dup2(c.stderr_fd, 2) < 0) return fail(f, Step::init_stdio, "dup2", nullptr);
  return true;
}

// With a terminal, 0-2 become the pty slave instead. stdin of a logged container is the container's own /dev/null (not an fd of the host's),
// opened after pivot_root and checked to be the real device.
bool redirect_stdin(const InitContext& c, Failure* f) {
  if (c.terminal) return setup_terminal(c.sync_fd, true, f);
  if (c.stdout_fd < 0) return true;
  Fd null(open_verified_dev_null(Step::init_stdio, f));
  if (!null.ok()) return false;
  if (dup2(null.get(), 0) < 0) return fail(f, Step::init_stdio, "dup2", "/dev/null");
  return true;
}

// create -> start split. The monitor opened the fifo O_RDONLY|O_NONBLOCK for us before
// clone (while we are root; the fifo is 0600) and closed its own copy, so we are its only
// reader. poll(2) on a fifo that never had a writer waits instead of reporting HUP; start
// opens it O_WRONLY|O_NONBLOCK (ENXIO if we are gone) and writes one byte.
bool wait_for_start(int fifo_fd, Failure* f) {
  struct pollfd pfd = {fifo_fd, POLLIN, 0};
  for (;;) {
    int rc = poll(&pfd, 1, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail(f, Step::process_exec_fifo, "poll", "exec.fifo");
    char byte;
    ssize_t n = read(fifo_fd, &byte, 1);
    if (n == 1) break;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    return fail_with(f, Step::process_exec_fifo, n < 0 ? errno : EPIPE, "read", "exec.fifo");
  }
  close(fifo_fd);
  return true;
}

}  // namespace

void run_init(const InitContext& c) {
  const ContainerPlan& plan = *c.plan;
  const PlanProcess& proc = plan.process;
  Failure f;
  // Not dumpable until execve: nothing in the container may open /proc/<us>/exe (our binary
  // on the host) or our memory while we are still the runtime (CVE-2019-5736 class).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  umask(0);  // device and directory modes come from the plan exactly
  // The monitor writes our pid into every cgroup first; nothing below runs before that.
  if (!wait_for_go(c.sync_fd, &f)) die(c.sync_fd, f, 1);
  if (!join_and_unshare(c, &f)) die(c.sync_fd, f, 1);
  if (setsid() < 0) {
    fail(&f, Step::init_setsid, "setsid");
    die(c.sync_fd, f, 1);
  }
  if (!redirect_output(c, &f)) die(c.sync_fd, f, 1);

  // Filesystem: propagation, rootfs, mounts, devices, pivot (all resolved inside rootfd).
  if (!prepare_rootfs(plan, &f)) die(c.sync_fd, f, 1);
  Fd rootfd(open_rootfs(plan, &f));
  if (!rootfd.ok()) die(c.sync_fd, f, 1);
  if (!mount_all(rootfd.get(), plan, &f)) die(c.sync_fd, f, 1);
  if (!create_devices(rootfd.get(), plan, &f)) die(c.sync_fd, f, 1);
  if (!pivot_into(rootfd.get(), plan, &f)) die(c.sync_fd, f, 1);
  rootfd.reset();
  if (!redirect_stdin(c, &f)) die(c.sync_fd, f, 1);

  // sysctls go before the readonly paths (they include /proc/sys); masks after the
  // readonly binds so a masked path inside a readonly one is still masked.
  if (!write_sysctls(plan, &f)) die(c.sync_fd, f, 1);
  if (!make_readonly_paths(plan, &f)) die(c.sync_fd, f, 1);
  if (!mask_paths(plan, &f)) die(c.sync_fd, f, 1);
  if (!make_root_readonly(plan, &f)) die(c.sync_fd, f, 1);
  if (!set_hostname(plan, &f)) die(c.sync_fd, f, 1);

  // Process: rlimits and oom_score_adj while we still hold CAP_SYS_RESOURCE; seccomp before
  // dropping CAP_SYS_ADMIN when no_new_privs is off (the kernel requires one of the two),
  // otherwise as late as possible so the filter sees the fewest runtime syscalls.
  if (!set_rlimits(proc, &f)) die(c.sync_fd, f, 1);
  if (!set_oom_score_adj(proc, &f)) die(c.sync_fd, f, 1);
  if (!proc.no_new_privs && !load_seccomp(proc, &f)) die(c.sync_fd, f, 1);
  // cwd as root first (like runc); only a permission failure is retried as the user.
  bool in_cwd = enter_cwd(proc, &f);
  if (!in_cwd && f.err != EACCES && f.err != EPERM) die(c.sync_fd, f, 1);
  if (!set_user_and_capabilities(proc, &f)) die(c.sync_fd, f, 1);
  if (!set_no_new_privs(proc, &f)) die(c.sync_fd, f, 1);
  umask(proc.umask >= 0 ? static_cast<mode_t>(proc.umask) : 022);
  if (!in_cwd && !enter_cwd(proc, &f)) die(c.sync_fd, f, 1);
  char file[4096];
  if (!lookup_executable(proc, file, &f)) die(c.sync_fd, f, 1);
  if (proc.no_new_privs && !load_seccomp(proc, &f)) die(c.sync_fd, f, 1);

  SyncMsg ready = {};
  ready.kind = MSG_READY;
  if (send(c.sync_fd, &ready, sizeof ready, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof ready)) _exit(1);
  if (!wait_for_start(c.fifo_fd, &f)) die(c.sync_fd, f, 1);
  reset_signals();
  exec_process(proc, file, &f);
  die(c.sync_fd, f, 127);
}
