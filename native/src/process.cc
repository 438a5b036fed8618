// The process's identity and security settings, applied in the init (or the exec child)
// after the filesystem is in place. Order matters and is chosen by init.cc/exec.cc.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "fd.h"
#include "steps.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

bool set_hostname(const ContainerPlan& plan, Failure* f) {
  if (plan.has_hostname && sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
    return fail(f, Step::uts_hostname, "sethostname", plan.hostname.c_str());
  if (plan.has_domainname && setdomainname(plan.domainname.data(), plan.domainname.size()) != 0)
    return fail(f, Step::uts_domainname, "setdomainname", plan.domainname.c_str());
  return true;
}

bool set_rlimits(const PlanProcess& p, Failure* f) {
  for (const auto& rl : p.rlimits) {
    struct rlimit64 lim = {rl.soft, rl.hard};
    if (syscall(SYS_prlimit64, 0, rl.resource, &lim, nullptr) != 0) return fail(f, Step::process_rlimits, "prlimit", nullptr);
  }
  return true;
}

bool set_oom_score_adj(const PlanProcess& p, Failure* f) {
  if (!p.has_oom) return true;
  char buf[24];
  int n = 0;
  int64_t v = p.oom_score_adj;
  bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
  char rev[24];
  do {
    rev[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  int i = 0;
  if (neg) buf[i++] = '-';
  while (n > 0) buf[i++] = rev[--n];
  Fd fd(open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
  if (!fd.ok() || !write_all(fd.get(), buf, static_cast<size_t>(i)))
    return fail(f, Step::process_oom_score_adj, fd.ok() ? "write" : "open", "/proc/self/oom_score_adj");
  return true;
}

bool set_user_and_capabilities(const PlanProcess& p, Failure* f) {
  // 1. Drop the bounding set first: it needs CAP_SETPCAP, which may not survive step 4.
  for (int cap = 0; cap <= p.cap_last_cap; cap++) {
    if ((p.bounding >> cap) & 1) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return fail(f, Step::process_capabilities, "prctl(PR_CAPBSET_DROP)", nullptr);
  }
  // 2. Keep permitted caps across the uid change, 3. switch groups/gid/uid (gid before uid:
  //    afterwards we may no longer be allowed to), 4. stop keeping caps.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail(f, Step::process_capabilities, "prctl(PR_SET_KEEPCAPS)", nullptr);
  if (syscall(SYS_setgroups, p.gids.size(), p.gids.data()) != 0) return fail(f, Step::process_user, "setgroups", nullptr);
  if (syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) return fail(f, Step::process_user, "setresgid", nullptr);
  if (syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) return fail(f, Step::process_user, "setresuid", nullptr);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail(f, Step::process_capabilities, "prctl(PR_SET_KEEPCAPS)", nullptr);
  // 5. The three sets, 6. ambient (each ambient cap must already be permitted+inheritable).
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    data[i].effective = static_cast<uint32_t>(p.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(p.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(p.inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) != 0) return fail(f, Step::process_capabilities, "capset", nullptr);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail(f, Step::process_capabilities, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", nullptr);
  for (int cap = 0; cap <= p.cap_last_cap; cap++) {
    if (((p.ambient >> cap) & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      return fail(f, Step::process_capabilities, "prctl(PR_CAP_AMBIENT_RAISE)", nullptr);
  }
  return true;
}

bool set_no_new_privs(const PlanProcess& p, Failure* f) {
  if (p.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail(f, Step::process_no_new_privs, "prctl(PR_SET_NO_NEW_PRIVS)", nullptr);
  return true;
}

bool load_seccomp(const PlanProcess& p, Failure* f) {
  if (!p.has_seccomp) return true;
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(p.seccomp.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(p.seccomp.data()));
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, static_cast<unsigned>(p.seccomp_flags), &prog) < 0)
    return fail(f, Step::process_seccomp, "seccomp", nullptr);
  return true;
}

bool enter_cwd(const PlanProcess& p, Failure* f) {
  const char* cwd = p.cwd.empty() ? "/" : p.cwd.c_str();
  if (chdir(cwd) != 0) return fail(f, Step::process_cwd, "chdir", cwd);
  // A cwd that resolves outside the root (an inherited fd to a host dir, CVE-2024-21626)
  // shows up as "(unreachable)/..." from the raw getcwd syscall.
  char buf[4096];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n < 0) return fail(f, Step::process_cwd, "getcwd", cwd);
  if (buf[0] != '/') return fail_with(f, Step::process_cwd, ENOENT, "getcwd", cwd);
  return true;
}

bool lookup_executable(const PlanProcess& p, char (&buf)[4096], Failure* f) {
  const char* arg0 = p.args[0].c_str();
  if (strchr(arg0, '/') != nullptr) {
    copy_str(buf, sizeof buf, arg0);
    if (access(buf, X_OK) != 0) return fail(f, Step::process_lookup, "access", arg0);
    return true;
  }
  // Like execvp/runc: each PATH entry in turn; an empty PATH in the env means not found.
  const char* path = p.path_env != nullptr ? p.path_env : "";
  size_t arg_len = strlen(arg0);
  int last_err = ENOENT;
  while (*path != '\0') {
    const char* end = strchr(path, ':');
    size_t dir_len = end != nullptr ? static_cast<size_t>(end - path) : strlen(path);
    if (dir_len > 0 && dir_len + 1 + arg_len + 1 <= sizeof buf) {
      memcpy(buf, path, dir_len);
      buf[dir_len] = '/';
      memcpy(buf + dir_len + 1, arg0, arg_len + 1);
      struct stat st;
      if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
        if (access(buf, X_OK) == 0) return true;
        last_err = EACCES;
      }
    }
    if (end == nullptr) break;
    path = end + 1;
  }
  return fail_with(f, Step::process_lookup, last_err, "execve", arg0);
}

void reset_signals() {
  // Dispositions set to SIG_IGN (the monitor ignores SIGPIPE) survive execve; a container
  // must start with defaults and nothing blocked.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &sa, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

bool exec_process(const PlanProcess& p, const char* file, Failure* f) {
  // Mark rather than close: the sync socket must stay open until execve succeeds so a
  // failing execve can still be reported; CLOEXEC closes everything else at exec.
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    return fail(f, Step::process_close_fds, "close_range", nullptr);
  execve(file, p.argv.data(), p.envp.data());
  return fail(f, Step::process_exec, "execve", file);
}
