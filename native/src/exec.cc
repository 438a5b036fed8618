// Exec mode of skiff-monitor: run one more process in a running container (kubectl exec,
// exec probes). The join happens here, in a freshly exec'd static binary, never in a fork
// of node: a container process that opens /proc/<pid>/exe of a joining process must not
// find the host's node (CVE-2019-5736 class). We are also non-dumpable until the target's
// execve, which keeps /proc/<pid>/exe and /proc/<pid>/mem closed to the container.
//
// Phases on fd 3: plan in; STARTED{pid} (+ the pty master with process.terminal) or ERROR out; then one JSON line with the exit
// status ({"exitCode":N,"signal":S|null}) when the process ends.
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fd.h"
#include "monitor.h"
#include "state.h"
#include "steps.h"

namespace {

[[noreturn]] void child_fail(int sync_fd, const Failure& f, int code) {
  SyncMsg m;
  msg_from_failure(&m, f);
  (void)!send(sync_fd, &m, sizeof m, MSG_NOSIGNAL);
  _exit(code);
}

// The exec'd process: same security steps and order as the init (init.cc), minus the
// filesystem, which the joined mount namespace already provides.
[[noreturn]] void run_exec_child(const PlanProcess& proc, int sync_fd) {
  Failure f;
  if (setsid() < 0) {
    fail(&f, Step::init_setsid, "setsid");
    child_fail(sync_fd, f, 1);
  }
  // kubectl exec -t: a pty of the container's devpts (we are in its mount ns already).
  if (proc.terminal && !setup_terminal(sync_fd, false, &f)) child_fail(sync_fd, f, 1);
  if (!set_rlimits(proc, &f)) child_fail(sync_fd, f, 1);
  if (!set_oom_score_adj(proc, &f)) child_fail(sync_fd, f, 1);
  if (!proc.no_new_privs && !load_seccomp(proc, &f)) child_fail(sync_fd, f, 1);
  bool in_cwd = enter_cwd(proc, &f);  // as in init.cc: retried as the user only on EACCES/EPERM
  if (!in_cwd && f.err != EACCES && f.err != EPERM) child_fail(sync_fd, f, 1);
  if (!set_user_and_capabilities(proc, &f)) child_fail(sync_fd, f, 1);
  if (!set_no_new_privs(proc, &f)) child_fail(sync_fd, f, 1);
  umask(proc.umask >= 0 ? static_cast<mode_t>(proc.umask) : 022);
  if (!in_cwd && !enter_cwd(proc, &f)) child_fail(sync_fd, f, 1);
  char file[4096];
  if (!lookup_executable(proc, file, &f)) child_fail(sync_fd, f, 1);
  if (proc.no_new_privs && !load_seccomp(proc, &f)) child_fail(sync_fd, f, 1);
  reset_signals();
  exec_process(proc, file, &f);
  child_fail(sync_fd, f, 127);
}

}  // namespace

int run_exec(ContainerPlan& plan) {
  Failure f;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prepare_process(&plan.process);
  {
    Fd cap(open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC));
    char buf[16] = {};
    if (cap.ok() && read(cap.get(), buf, sizeof buf - 1) > 0) plan.process.cap_last_cap = atoi(buf);
  }
  // Open every namespace of the target first (its /proc/<pid> is only ours to read
  // before we enter its mount namespace), then join the cgroups (so our child is born
  // inside), then setns: pid affects only the child we fork next.
  std::vector<Fd> ns_fds;
  std::vector<int> ns_types;
  std::vector<std::string> ns_paths;
  for (const auto& ns : plan.namespaces) {
    std::string path = ns.path.empty()
                           ? "/proc/" + std::to_string(plan.exec_pid) + "/ns/" + namespace_proc_name(ns.type.c_str())
                           : ns.path;
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) {
      fail(&f, Step::namespaces_open, "open", path.c_str());
      report_failure(f);
      return 1;
    }
    ns_fds.push_back(std::move(fd));
    ns_types.push_back(namespace_flag(ns.type.c_str()));
    ns_paths.push_back(path);
  }
  // Checked after the opens: if the pid still has the recorded start time now, the
  // namespace fds we hold are the container's and not those of a process that reused the pid.
  if (plan.exec_start_time != 0 && process_start_time(plan.exec_pid) != plan.exec_start_time) {
    fail_with(&f, Step::namespaces_open, ESRCH, "open", ("/proc/" + std::to_string(plan.exec_pid)).c_str());
    report_failure(f);
    return 1;
  }
  if (!join_cgroups(getpid(), plan.cgroup_procs, &f)) {
    report_failure(f);
    return 1;
  }
  for (size_t i = 0; i < ns_fds.size(); i++) {
    if (!join_namespace(ns_fds[i].get(), ns_types[i], ns_paths[i].c_str(), &f)) {
      report_failure(f);
      return 1;
    }
  }
  ns_fds.clear();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    fail(&f, Step::exec_fork, "socketpair");
    report_failure(f);
    return 1;
  }
  Fd sync(sv[0]);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    close(kAddonFd);
    run_exec_child(plan.process, sv[1]);
  }
  close(sv[1]);
  if (pid < 0) {
    fail(&f, Step::exec_fork, "fork");
    report_failure(f);
    return 1;
  }
  // Our copies of the process's stdio must go, or the caller never sees EOF.
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    for (int i = 0; i < 3; i++) dup2(null, i);
    close(null);
  }
  // EOF on the sync socket = execve succeeded (CLOEXEC); a message = a step failed.
  SyncMsg m;
  int passed_fd = -1;
  bool got = recv_with_fd(sync.get(), &m, sizeof m, &passed_fd);
  Fd terminal;
  if (got && m.kind == MSG_TERMINAL) {
    terminal.reset(passed_fd);
    got = recv_with_fd(sync.get(), &m, sizeof m, &passed_fd);
  }
  int status = 0;
  if (got && m.kind == MSG_ERROR) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    (void)send(kAddonFd, &m, sizeof m, MSG_NOSIGNAL);
    return 1;
  }
  SyncMsg started = {};
  started.kind = MSG_STARTED;
  started.pid = pid;
  started.monitor_pid = getpid();
  (void)send_with_fd(kAddonFd, &started, sizeof started, terminal.get());
  terminal.reset();
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::string line = "{\"exitCode\":" + std::to_string(code) + ",\"signal\":" +
                     (WIFSIGNALED(status) ? std::to_string(WTERMSIG(status)) : std::string("null")) + "}\n";
  (void)write_all(kAddonFd, line.data(), line.size());
  return 0;
}
