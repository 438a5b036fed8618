// Node side of the monitor protocol: spawn skiff-monitor, hand it the plan, read its answer.
// Runs on a libuv pool thread; the spawned child only dup2s and execs (posix_spawn uses
// CLONE_VFORK, safe in a multi-threaded process).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "errors.h"
#include "fd.h"

struct MonitorAnswer {
  SyncMsg msg;  // MSG_CREATED / MSG_STARTED
  Fd passed;    // fd sent with the answer (the pty master of a terminal container), if any
  Fd sock;      // still-open socket to the monitor (exec: the exit status arrives on it)
};

/** Spawns `monitor_path mode` with the plan on fd 3 and stdio on 0-2 (-1: /dev/null). */
bool spawn_monitor(const char* monitor_path, const char* mode, const std::vector<uint8_t>& plan,
                   const int stdio[3], MonitorAnswer* answer, Failure* f);
/** Writes the byte the init waits for into the exec fifo: the container's `start`. */
bool start_container(const char* fifo_path, Failure* f);
/** pidfd_open + start-time check + pidfd_send_signal; false (errno ESRCH) if gone or recycled. */
bool signal_process(pid_t pid, uint64_t start_time, int sig, Failure* f);
/** TIOCSWINSZ on a pty master (the size the container's terminal reports). */
bool resize_terminal(int fd, int rows, int cols, Failure* f);
