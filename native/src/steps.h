// The container steps, one function per step, each returning false with *f filled on
// failure. Split by concern (namespaces.cc, cgroups.cc, mounts.cc, process.cc); the order
// they run in lives in init.cc and exec.cc. Everything here is called between clone and
// execve: no allocation, only syscalls on memory prepared before clone.
#pragma once
#include <sys/types.h>

#include "errors.h"
#include "plan.h"

// namespaces.cc
/** clone(2) flags for the namespaces the plan creates (cgroup is unshared later, see init.cc). */
unsigned long clone_flags_for(const ContainerPlan& plan);
/** CLONE_NEW* for an OCI namespace name, 0 when unknown. */
int namespace_flag(const char* type);
/** The /proc/<pid>/ns/<name> file name of an OCI namespace type. */
const char* namespace_proc_name(const char* type);
bool join_namespace(int fd, int nstype, const char* path, Failure* f);

// cgroups.cc
/** Writes pid to every cgroup.procs file; a v1 host has one per hierarchy. */
bool join_cgroups(pid_t pid, const std::vector<std::string>& procs_files, Failure* f);
/** The directory fd of the first cgroup.procs file on cgroup2 (for clone3 CLONE_INTO_CGROUP),
 *  with its position in *index; -1 when there is none (*index = size) or on error (*f set). */
int open_unified_cgroup(const std::vector<std::string>& procs_files, size_t* index, Failure* f);

// mounts.cc
bool prepare_rootfs(const ContainerPlan& plan, Failure* f);
/** Opens the rootfs (now a mount point of its own) as the anchor every later path resolves against. */
int open_rootfs(const ContainerPlan& plan, Failure* f);
bool mount_all(int rootfd, const ContainerPlan& plan, Failure* f);
bool create_devices(int rootfd, const ContainerPlan& plan, Failure* f);
bool pivot_into(int rootfd, const ContainerPlan& plan, Failure* f);
bool write_sysctls(const ContainerPlan& plan, Failure* f);
bool make_readonly_paths(const ContainerPlan& plan, Failure* f);
bool mask_paths(const ContainerPlan& plan, Failure* f);
bool make_root_readonly(const ContainerPlan& plan, Failure* f);
/** Opens the container's /dev/null after checking it is the real char 1:3 (CVE-2025-31133). */
int open_verified_dev_null(Step step, Failure* f);

// terminal.cc
/** Allocates the pty, makes its slave fds 0-2 and the controlling tty, sends the master on sync_fd. */
bool setup_terminal(int sync_fd, bool bind_console, Failure* f);

// process.cc
bool set_hostname(const ContainerPlan& plan, Failure* f);
bool set_rlimits(const PlanProcess& p, Failure* f);
bool set_oom_score_adj(const PlanProcess& p, Failure* f);
/** Bounding set, keepcaps, groups, gid, uid, capset, ambient: runc's finalizeNamespace order. */
bool set_user_and_capabilities(const PlanProcess& p, Failure* f);
bool set_no_new_privs(const PlanProcess& p, Failure* f);
bool load_seccomp(const PlanProcess& p, Failure* f);
bool enter_cwd(const PlanProcess& p, Failure* f);
/** Resolves args[0] through PATH (from the plan env) into buf, so "not found" fails at create. */
bool lookup_executable(const PlanProcess& p, char (&buf)[4096], Failure* f);
void reset_signals();
/** Marks every fd >= 3 close-on-exec, then execve; returns only on failure. */
bool exec_process(const PlanProcess& p, const char* file, Failure* f);
