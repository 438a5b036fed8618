// skiff-monitor main and create mode: the container's parent for its whole life.
//
// node (addon) --posix_spawn--> skiff-monitor --fork, first copy exits--> monitor (setsid,
// reparented to init/subreaper, no PDEATHSIG: it outlives the agent) --clone(new ns)--> init
//
// The monitor reads the plan from fd 3, prepares every fd and string, clones the init,
// places it in its cgroups, relays the init's READY/ERROR to the addon, then pumps the
// container's output into the CRI log and records the exit in stateDir/exit.json.
#include "monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cri-log.h"
#include "fd.h"
#include "init.h"
#include "state.h"
#include "steps.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

void report_failure(const Failure& f) {
  SyncMsg m;
  msg_from_failure(&m, f);
  (void)send(kAddonFd, &m, sizeof m, MSG_NOSIGNAL);
}

namespace {

int read_cap_last_cap() {
  Fd fd(open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC));
  char buf[16] = {};
  if (!fd.ok() || read(fd.get(), buf, sizeof buf - 1) <= 0) return 40;
  return atoi(buf);
}

struct Prepared {
  InitContext ctx = {};
  std::vector<Fd> keep;  // fds the init uses; closed in the monitor after clone
  Fd fifo, log, out_r, err_r, out_w, err_w;
  Fd terminal;  // pty master from the init (process.terminal)
  std::string fifo_path;
};

bool prepare(ContainerPlan& plan, Prepared* p, Failure* f) {
  prepare_process(&plan.process);
  plan.process.cap_last_cap = read_cap_last_cap();
  p->ctx.plan = &plan;
  for (const auto& ns : plan.namespaces) {
    if (ns.path.empty()) {
      if (ns.type == "cgroup") p->ctx.unshare_cgroup = true;
      continue;
    }
    Fd fd(open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) return fail(f, Step::namespaces_open, "open", ns.path.c_str());
    int type = namespace_flag(ns.type.c_str());
    if (type == CLONE_NEWPID) {
      // setns(pid) only applies to children: the monitor joins, the init is born inside.
      if (!join_namespace(fd.get(), type, ns.path.c_str(), f)) return false;
      continue;
    }
    if (p->ctx.join_count == 8) return fail_with(f, Step::namespaces_open, E2BIG, "open", ns.path.c_str());
    p->ctx.join_fds[p->ctx.join_count] = fd.get();
    p->ctx.join_types[p->ctx.join_count] = type;
    p->ctx.join_paths[p->ctx.join_count] = ns.path.c_str();
    p->ctx.join_count++;
    p->keep.push_back(std::move(fd));
  }
  p->ctx.stdout_fd = p->ctx.stderr_fd = -1;
  p->ctx.terminal = plan.process.terminal;
  if (plan.io_mode == 0) {
    p->log.reset(open(plan.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!p->log.ok()) return fail(f, Step::log_open, "open", plan.log_path.c_str());
  }
  if (plan.io_mode == 0 && !plan.process.terminal) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return fail(f, Step::monitor_prepare, "pipe2");
    p->out_r.reset(out[0]);
    p->out_w.reset(out[1]);
    if (pipe2(err, O_CLOEXEC) != 0) return fail(f, Step::monitor_prepare, "pipe2");
    p->err_r.reset(err[0]);
    p->err_w.reset(err[1]);
    p->ctx.stdout_fd = out[1];
    p->ctx.stderr_fd = err[1];
  }
  // A stateDir reused for a new container must not show the previous one's exit.
  unlink((plan.state_dir + "/exit.json").c_str());
  p->fifo_path = plan.state_dir + "/exec.fifo";
  unlink(p->fifo_path.c_str());
  if (mkfifo(p->fifo_path.c_str(), 0600) != 0) return fail(f, Step::state_fifo, "mkfifo", p->fifo_path.c_str());
  p->fifo.reset(open(p->fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!p->fifo.ok()) return fail(f, Step::state_fifo, "open", p->fifo_path.c_str());
  p->ctx.fifo_fd = p->fifo.get();
  return true;
}

void kill_and_reap(pid_t pid, int* status) {
  kill(pid, SIGKILL);
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

std::string exit_json(int status, const Failure* exec_failure) {
  char ts[64];
  format_timestamp(ts);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::string json = "{\"exitCode\":" + std::to_string(code) + ",\"signal\":" +
                     (WIFSIGNALED(status) ? std::to_string(WTERMSIG(status)) : std::string("null")) +
                     ",\"finishedAt\":\"" + ts + "\"";
  if (exec_failure != nullptr)
    json += ",\"error\":{\"step\":" + json_string(step_name(exec_failure->step)) +
            ",\"errno\":" + std::to_string(exec_failure->err) + ",\"syscall\":" + json_string(exec_failure->syscall) +
            ",\"path\":" + json_string(exec_failure->path) + "}";
  return json + "}\n";
}

volatile sig_atomic_t g_reopen_log = 0;
void on_reopen_log(int) { g_reopen_log = 1; }

// After start: pump output until the init exits, drain what is left, record the exit.
// SIGUSR1 reopens the log file (after the agent renamed it away to rotate it, as CRI's
// ReopenContainerLog asks). It is blocked except inside ppoll, so none is missed.
void supervise(const ContainerPlan& plan, pid_t pid, int pidfd, int sync_fd, Prepared* p) {
  struct sigaction sa = {};
  sa.sa_handler = on_reopen_log;
  sigaction(SIGUSR1, &sa, nullptr);
  sigset_t usr1, during_poll;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &during_poll);
  sigdelset(&during_poll, SIGUSR1);
  static LogStream out, err;
  out.name = "stdout";
  out.fd = p->terminal.ok() ? p->terminal.release() : p->out_r.release();
  err.name = "stderr";
  err.fd = p->err_r.release();
  int status = 0;
  bool exited = false;
  Failure exec_failure;
  bool exec_failed = false;
  struct timespec deadline = {};
  for (;;) {
    struct pollfd fds[4];
    int n = 0;
    int i_out = -1, i_err = -1, i_pid = -1, i_sync = -1;
    if (out.fd >= 0) { i_out = n; fds[n++] = {out.fd, POLLIN, 0}; }
    if (err.fd >= 0) { i_err = n; fds[n++] = {err.fd, POLLIN, 0}; }
    if (!exited) { i_pid = n; fds[n++] = {pidfd, POLLIN, 0}; }
    if (sync_fd >= 0) { i_sync = n; fds[n++] = {sync_fd, POLLIN, 0}; }
    if (exited && out.fd < 0 && err.fd < 0) break;
    if (g_reopen_log != 0) {
      g_reopen_log = 0;
      int fd = open(plan.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (fd >= 0) p->log.reset(fd);
    }
    int timeout = -1;
    if (exited) {
      // Other processes in a shared pid namespace may keep the pipes open; give output
      // one second to drain after the init is gone, then stop waiting for it.
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
      if (ms <= 0) break;
      timeout = static_cast<int>(ms);
    }
    struct timespec ts = {timeout / 1000, (timeout % 1000) * 1000000L};
    int rc = ppoll(fds, static_cast<nfds_t>(n), timeout < 0 ? nullptr : &ts, &during_poll);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) break;
    if (i_out >= 0 && fds[i_out].revents != 0) pump_stream(&out, p->log.get());
    if (i_err >= 0 && fds[i_err].revents != 0) pump_stream(&err, p->log.get());
    if (i_sync >= 0 && fds[i_sync].revents != 0) {
      SyncMsg m;
      ssize_t got = recv(sync_fd, &m, sizeof m, MSG_DONTWAIT);
      if (got == static_cast<ssize_t>(sizeof m) && m.kind == MSG_ERROR) {
        failure_from_msg(&exec_failure, m);
        exec_failed = true;
      }
      if (got <= 0 || got == static_cast<ssize_t>(sizeof m)) sync_fd = -1;  // EOF: execve succeeded
    }
    if (i_pid >= 0 && fds[i_pid].revents != 0) {
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      exited = true;
      clock_gettime(CLOCK_MONOTONIC, &deadline);
      deadline.tv_sec += 1;
    }
  }
  if (!exited) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (out.fd >= 0) close(out.fd);
  if (err.fd >= 0) close(err.fd);
  unlink(p->fifo_path.c_str());
  write_state_file(plan.state_dir, "exit.json", exit_json(status, exec_failed ? &exec_failure : nullptr));
}

}  // namespace

int run_create(ContainerPlan& plan) {
  Failure f;
  Prepared p;
  // Leave the agent's cgroup (and its systemd unit) before anything else.
  if (!join_cgroups(getpid(), plan.monitor_cgroup_procs, &f)) {
    report_failure(f);
    return 1;
  }
  if (!prepare(plan, &p, &f)) {
    unlink(p.fifo_path.c_str());
    report_failure(f);
    return 1;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    fail(&f, Step::monitor_prepare, "socketpair");
    report_failure(f);
    return 1;
  }
  Fd sync(sv[0]);
  p.ctx.sync_fd = sv[1];
  // On cgroup2 the init is born in its cgroup (clone3 CLONE_INTO_CGROUP): no migration, so
  // no cgroup_threadgroup_rwsem write lock and its RCU grace period (the bulk of a v1
  // placement's cost). The remaining (v1) files are written after clone, before GO.
  size_t unified_index = 0;
  Fd unified(open_unified_cgroup(plan.cgroup_procs, &unified_index, &f));
  if (!unified.ok() && unified_index < plan.cgroup_procs.size()) {
    unlink(p.fifo_path.c_str());
    report_failure(f);
    return 1;
  }
  int pidfd = -1;
  unsigned long flags = clone_flags_for(plan) | CLONE_PIDFD;
  long pid = -1;
  if (unified.ok()) {
    struct clone_args_v2 {
      uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
    } args = {};
    args.flags = flags | CLONE_INTO_CGROUP;
    args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(unified.get());
    pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid > 0) plan.cgroup_procs.erase(plan.cgroup_procs.begin() + static_cast<long>(unified_index));
    // Old kernels (< 5.7) lack clone3/CLONE_INTO_CGROUP: fall back to writing the file.
    else if (pid < 0 && errno != ENOSYS && errno != E2BIG && errno != EINVAL) pid = -2;
  }
  // One clone with every new namespace (crun's way); a plain clone, not a thread, so the
  // child gets a copy of our single-threaded address space and may use what we prepared.
  if (pid == -1) pid = syscall(SYS_clone, flags | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
  if (pid == 0) run_init(p.ctx);
  int clone_errno = errno;
  unified.reset();
  close(sv[1]);
  // The init's fds are its own now; our copies would keep pipes and the fifo open.
  p.out_w.reset();
  p.err_w.reset();
  p.fifo.reset();
  p.keep.clear();
  if (pid < 0) {
    fail_with(&f, Step::namespaces_clone, clone_errno, "clone");
    unlink(p.fifo_path.c_str());
    report_failure(f);
    return 1;
  }
  Fd pidfd_owner(pidfd);
  int status = 0;
  auto abort_create = [&](const Failure& failure) {
    kill_and_reap(static_cast<pid_t>(pid), &status);
    unlink(p.fifo_path.c_str());
    report_failure(failure);
    return 1;
  };
  // A timed-out init may be stuck where SIGKILL waits (a frozen cgroup, an uninterruptible
  // mount): answer the addon first so no pool thread of the agent waits with it.
  auto abort_timed_out = [&](const Failure& failure) {
    unlink(p.fifo_path.c_str());
    report_failure(failure);
    close(kAddonFd);
    kill_and_reap(static_cast<pid_t>(pid), &status);
    return 1;
  };
  // Phase 1: the cgroups hold the init before it runs a single container step.
  if (!join_cgroups(static_cast<pid_t>(pid), plan.cgroup_procs, &f)) return abort_create(f);
  SyncMsg go = {};
  go.kind = MSG_GO;
  if (send(sync.get(), &go, sizeof go, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof go)) {
    fail(&f, Step::init_sync, "send");
    return abort_create(f);
  }
  // Phase 2: the init runs every step and answers READY (blocked on the fifo next) or ERROR.
  if (plan.setup_timeout_ms > 0) {
    struct pollfd pfd = {sync.get(), POLLIN, 0};
    int rc;
    do rc = poll(&pfd, 1, static_cast<int>(plan.setup_timeout_ms));
    while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      fail_with(&f, Step::init_sync, ETIMEDOUT, "poll");
      return abort_timed_out(f);
    }
  }
  SyncMsg m;
  int passed_fd = -1;
  bool got = recv_with_fd(sync.get(), &m, sizeof m, &passed_fd);
  if (got && m.kind == MSG_TERMINAL) {
    p.terminal.reset(passed_fd);
    got = recv_with_fd(sync.get(), &m, sizeof m, &passed_fd);
  }
  if (!got) {
    fail_with(&f, Step::init_died, errno != 0 ? errno : ECHILD, "recv");
    return abort_create(f);
  }
  if (m.kind != MSG_READY) {
    failure_from_msg(&f, m);
    return abort_create(f);
  }
  // Phase 3: record pids, tell the addon, and become the supervisor.
  uint64_t start_time = process_start_time(static_cast<pid_t>(pid));
  uint64_t monitor_start_time = process_start_time(getpid());
  std::string state = "{\"pid\":" + std::to_string(pid) + ",\"startTime\":" + std::to_string(start_time) +
                      ",\"monitorPid\":" + std::to_string(getpid()) +
                      ",\"monitorStartTime\":" + std::to_string(monitor_start_time) + "}\n";
  if (!write_state_file(plan.state_dir, "container.pid", std::to_string(pid) + "\n") ||
      !write_state_file(plan.state_dir, "monitor.pid", std::to_string(getpid()) + "\n") ||
      !write_state_file(plan.state_dir, "state.json", state)) {
    fail(&f, Step::state_write, "rename", plan.state_dir.c_str());
    return abort_create(f);
  }
  SyncMsg created = {};
  created.kind = MSG_CREATED;
  created.pid = static_cast<int32_t>(pid);
  created.monitor_pid = getpid();
  created.start_time = start_time;
  created.monitor_start_time = monitor_start_time;
  // With inherited io the caller owns the terminal: the master travels with CREATED.
  bool hand_over = plan.io_mode == 1 && p.terminal.ok();
  (void)send_with_fd(kAddonFd, &created, sizeof created, hand_over ? p.terminal.get() : -1);
  if (hand_over) p.terminal.reset();
  close(kAddonFd);
  // Hand our copies of inherited stdio back: the caller sees EOF when the container exits.
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    for (int i = 0; i < 3; i++) dup2(null, i);
    close(null);
  }
  supervise(plan, static_cast<pid_t>(pid), pidfd, sync.get(), &p);
  return 0;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  // Keep 0-2 and the addon socket; nothing else of node's may leak into a container.
  syscall(SYS_close_range, 4U, ~0U, 0U);
  const char* mode = argc > 1 ? argv[1] : "";
  bool create = strcmp(mode, "create") == 0;
  if (!create && strcmp(mode, "exec") != 0) {
    fprintf(stderr, "usage: skiff-monitor create|exec (plan on fd 3; started by the skiff addon)\n");
    return 2;
  }
  Failure f;
  {
    // Daemonize: the copy node spawned exits at once (node reaps it), this one is
    // reparented to init or the nearest subreaper and survives the agent.
    pid_t child = fork();
    if (child < 0) {
      fail(&f, Step::monitor_spawn, "fork");
      report_failure(f);
      return 1;
    }
    if (child > 0) _exit(0);
  }
  uint32_t len = 0;
  if (!read_all(kAddonFd, &len, sizeof len) || len > (64u << 20)) {
    fail_with(&f, Step::plan_decode, errno != 0 ? errno : EINVAL, "read");
    report_failure(f);
    return 1;
  }
  std::vector<uint8_t> bytes(len);
  if (!read_all(kAddonFd, bytes.data(), len)) {
    fail_with(&f, Step::plan_decode, errno != 0 ? errno : EINVAL, "read");
    report_failure(f);
    return 1;
  }
  ContainerPlan plan;
  const char* why = "";
  if (!decode_plan(bytes.data(), len, &plan, &why)) {
    fail_with(&f, Step::plan_decode, EINVAL, "decode", why);
    report_failure(f);
    return 1;
  }
  std::vector<uint8_t>().swap(bytes);
  return create ? run_create(plan) : run_exec(plan);
}
