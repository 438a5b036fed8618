// The container init's inputs: everything opened and built by the monitor before clone.
#pragma once
#include "plan.h"

struct InitContext {
  const ContainerPlan* plan;
  int sync_fd;  // our end of the SOCK_SEQPACKET pair with the monitor (CLOEXEC)
  int fifo_fd;  // stateDir/exec.fifo, opened O_RDONLY|O_NONBLOCK; the init is its only reader
  int stdout_fd, stderr_fd;  // write ends of the log pipes, -1 when io is inherited
  int join_fds[8];           // namespaces to join (setns), in plan order, except pid
  int join_types[8];
  const char* join_paths[8];
  int join_count;
  bool unshare_cgroup;
  bool terminal;  // allocate a pty after pivot_root (process.terminal)
};

/** Runs the container steps and execs the process; never returns (exits on failure). */
[[noreturn]] void run_init(const InitContext& c);
