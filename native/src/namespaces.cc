// Namespace flags and joins.
#include <sched.h>

#include <cstring>

#include "steps.h"

int namespace_flag(const char* type) {
  if (strcmp(type, "pid") == 0) return CLONE_NEWPID;
  if (strcmp(type, "mount") == 0) return CLONE_NEWNS;
  if (strcmp(type, "uts") == 0) return CLONE_NEWUTS;
  if (strcmp(type, "ipc") == 0) return CLONE_NEWIPC;
  if (strcmp(type, "network") == 0) return CLONE_NEWNET;
  if (strcmp(type, "cgroup") == 0) return CLONE_NEWCGROUP;
  if (strcmp(type, "user") == 0) return CLONE_NEWUSER;
  return 0;
}

const char* namespace_proc_name(const char* type) {
  if (strcmp(type, "mount") == 0) return "mnt";
  if (strcmp(type, "network") == 0) return "net";
  return type;  // pid, uts, ipc, cgroup, user
}

unsigned long clone_flags_for(const ContainerPlan& plan) {
  unsigned long flags = 0;
  for (const auto& ns : plan.namespaces) {
    int flag = namespace_flag(ns.type.c_str());
    // A cgroup namespace takes the cgroup its creator is in as its root; the init is moved
    // into the container's cgroups only after clone, so it unshares the cgroup ns itself
    // once the monitor says it has been placed (as runc's nsexec does).
    if (ns.path.empty() && flag != CLONE_NEWCGROUP) flags |= static_cast<unsigned long>(flag);
  }
  return flags;
}

bool join_namespace(int fd, int nstype, const char* path, Failure* f) {
  if (setns(fd, nstype) != 0) return fail(f, Step::namespaces_join, "setns", path);
  return true;
}
