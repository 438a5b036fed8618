// Failures as data: a step, the syscall, errno and path, filled in where a syscall fails
// and carried across processes in a fixed-size SyncMsg (no allocation, so usable between
// clone and exec).
#pragma once
#include <cerrno>
#include <cstddef>
#include <cstdint>

enum class Step : uint16_t {
#define STEP(id, name) id,
#include "steps.def"
#undef STEP
  count_
};

/** The stable dotted name of a step ("rootfs.pivot-root"). */
const char* step_name(Step step);

struct Failure {
  Step step;
  int err;
  char syscall[32];
  char path[512];
};

/** Records errno with step/syscall/path into `f` and returns false, so callers write `return fail(...)`. */
bool fail(Failure* f, Step step, const char* syscall, const char* path = nullptr);
/** Same with an explicit errno (for failures reported by the kernel as a value, not errno). */
bool fail_with(Failure* f, Step step, int err, const char* syscall, const char* path = nullptr);

/** Bounded copy that always NUL-terminates; async-signal-safe. */
void copy_str(char* dst, size_t cap, const char* src);

/** Message kinds on the sync sockets (addon <-> monitor <-> init). */
enum MsgKind : uint32_t {
  MSG_GO = 1,       // monitor -> init: you are in your cgroups, run the container steps
  MSG_READY = 2,    // init -> monitor: every step done, blocked on the exec fifo next
  MSG_ERROR = 3,    // any -> parent: a step failed (fields below)
  MSG_CREATED = 4,  // monitor -> addon: init pid, monitor pid, init start time
  MSG_STARTED = 5,  // exec helper -> addon: the process runs (pid)
  MSG_TERMINAL = 6, // the pty master travels with this message as SCM_RIGHTS
};

/** Every sync message has this one fixed layout, so a read is one recv of a known size. */
struct SyncMsg {
  uint32_t kind;
  int32_t err;
  int32_t pid;
  int32_t monitor_pid;
  uint64_t start_time;          // init (or exec'd process), field 22 of /proc/<pid>/stat
  uint64_t monitor_start_time;
  char step[48];
  char syscall[32];
  char path[512];
};

void msg_from_failure(SyncMsg* m, const Failure& f);
void failure_from_msg(Failure* f, const SyncMsg& m);
