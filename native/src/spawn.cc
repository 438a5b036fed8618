#include "spawn.h"

#include "proc-stat.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

bool spawn_monitor(const char* monitor_path, const char* mode, const std::vector<uint8_t>& plan,
                   const int stdio[3], MonitorAnswer* answer, Failure* f) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail(f, Step::monitor_spawn, "socketpair");
  Fd ours(sv[0]), theirs(sv[1]);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (int i = 0; i < 3; i++) {
    if (stdio != nullptr && stdio[i] >= 0) posix_spawn_file_actions_adddup2(&fa, stdio[i], i);
    else posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
  }
  posix_spawn_file_actions_adddup2(&fa, theirs.get(), 3);
  // A new session (no controlling terminal, no signals from the agent's process group),
  // default dispositions and an empty mask: node ignores SIGPIPE and pool threads block
  // signals, and both would otherwise be inherited through exec.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  char* argv[] = {const_cast<char*>("skiff-monitor"), const_cast<char*>(mode), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, monitor_path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail_with(f, Step::monitor_spawn, rc, "posix_spawn", monitor_path);
  theirs.reset();
  uint32_t len = static_cast<uint32_t>(plan.size());
  bool sent = write_all(ours.get(), &len, sizeof len) && write_all(ours.get(), plan.data(), plan.size());
  int sent_errno = errno;
  // The spawned copy forks the long-lived monitor and exits at once: reap it here so it is
  // never a zombie of node's (libuv only reaps children it started itself).
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!sent) return fail_with(f, Step::monitor_sync, sent_errno, "write", monitor_path);
  int fd = -1;
  if (!recv_with_fd(ours.get(), &answer->msg, sizeof answer->msg, &fd))
    return fail_with(f, Step::monitor_sync, errno != 0 ? errno : EPIPE, "recv", monitor_path);
  answer->passed.reset(fd);
  if (answer->msg.kind == MSG_ERROR) {
    failure_from_msg(f, answer->msg);
    return false;
  }
  answer->sock = std::move(ours);
  return true;
}

bool start_container(const char* fifo_path, Failure* f) {
  // The init is the fifo's only reader; O_NONBLOCK makes a gone init an ENXIO here
  // instead of a hang.
  Fd fifo(open(fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo.ok()) return fail(f, Step::process_exec_fifo, "open", fifo_path);
  if (!write_all(fifo.get(), "0", 1)) return fail(f, Step::process_exec_fifo, "write", fifo_path);
  unlink(fifo_path);
  return true;
}

bool signal_process(pid_t pid, uint64_t start_time, int sig, Failure* f) {
  // The pidfd pins the process: once we hold it and the start time matches, the signal
  // cannot hit a recycled pid.
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.ok()) return fail(f, Step::process_signal, "pidfd_open", nullptr);
  if (start_time != 0 && process_start_time(pid) != start_time)
    return fail_with(f, Step::process_signal, ESRCH, "pidfd_open", nullptr);
  if (syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) != 0)
    return fail(f, Step::process_signal, "pidfd_send_signal", nullptr);
  return true;
}

bool resize_terminal(int fd, int rows, int cols, Failure* f) {
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) return fail(f, Step::terminal_open, "ioctl(TIOCSWINSZ)", nullptr);
  return true;
}
