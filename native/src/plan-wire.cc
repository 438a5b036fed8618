// Decoder for the plan wire format (encoder: native/plan-wire.ts).
#include <cstring>

#include "plan.h"

namespace {

struct Field {
  uint16_t tag;
  const uint8_t* data;
  uint32_t len;
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t len) : p_(p), end_(p + len) {}
  // Returns 1 with a field, 0 at the end, -1 on a truncated record.
  int next(Field* f) {
    if (p_ == end_) return 0;
    if (end_ - p_ < 6) return -1;
    f->tag = static_cast<uint16_t>(p_[0] | (p_[1] << 8));
    f->len = static_cast<uint32_t>(p_[2] | (p_[3] << 8) | (p_[4] << 16) | (static_cast<uint32_t>(p_[5]) << 24));
    p_ += 6;
    if (static_cast<size_t>(end_ - p_) < f->len) return -1;
    f->data = p_;
    p_ += f->len;
    return 1;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

std::string str(const Field& f) { return std::string(reinterpret_cast<const char*>(f.data), f.len); }

uint64_t u64(const Field& f) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < 8 && i < f.len; i++) v |= static_cast<uint64_t>(f.data[i]) << (8 * i);
  return v;
}

template <typename Fn>
bool each(const Field& outer, Fn fn) {
  Reader r(outer.data, outer.len);
  Field f;
  int got;
  while ((got = r.next(&f)) == 1) fn(f);
  return got == 0;
}

bool decode_rlimit(const Field& outer, PlanRlimit* rl) {
  return each(outer, [&](const Field& f) {
    if (f.tag == R_RESOURCE) rl->resource = static_cast<uint32_t>(u64(f));
    if (f.tag == R_SOFT) rl->soft = u64(f);
    if (f.tag == R_HARD) rl->hard = u64(f);
  });
}

bool decode_process(const Field& outer, PlanProcess* p) {
  bool ok = true;
  bool well_formed = each(outer, [&](const Field& f) {
    switch (f.tag) {
      case P_ARG: p->args.push_back(str(f)); break;
      case P_ENV: p->env.push_back(str(f)); break;
      case P_CWD: p->cwd = str(f); break;
      case P_UID: p->uid = static_cast<uint32_t>(u64(f)); break;
      case P_GID: p->gid = static_cast<uint32_t>(u64(f)); break;
      case P_GROUP: p->groups.push_back(static_cast<uint32_t>(u64(f))); break;
      case P_UMASK: p->umask = static_cast<int64_t>(u64(f)); break;
      case P_NNP: p->no_new_privs = u64(f) != 0; break;
      case P_CAP_BOUNDING: p->bounding = u64(f); break;
      case P_CAP_EFFECTIVE: p->effective = u64(f); break;
      case P_CAP_PERMITTED: p->permitted = u64(f); break;
      case P_CAP_INHERITABLE: p->inheritable = u64(f); break;
      case P_CAP_AMBIENT: p->ambient = u64(f); break;
      case P_RLIMIT: {
        PlanRlimit rl;
        ok = decode_rlimit(f, &rl) && ok;
        p->rlimits.push_back(rl);
        break;
      }
      case P_OOM: p->has_oom = true; p->oom_score_adj = static_cast<int64_t>(u64(f)); break;
      case P_TERMINAL: p->terminal = u64(f) != 0; break;
      default: break;
    }
  });
  return ok && well_formed;
}

}  // namespace

bool decode_plan(const uint8_t* data, size_t len, ContainerPlan* plan, const char** why) {
  Reader r(data, len);
  Field f;
  int got;
  bool ok = true;
  while ((got = r.next(&f)) == 1) {
    switch (f.tag) {
      case T_ID: plan->id = str(f); break;
      case T_ROOT_PATH: plan->root_path = str(f); break;
      case T_ROOT_READONLY: plan->root_readonly = u64(f) != 0; break;
      case T_ROOT_PROPAGATION: plan->root_propagation = u64(f); break;
      case T_ROOT_OVERLAY_DATA: plan->overlay_data = str(f); break;
      case T_NAMESPACE: {
        PlanNamespace ns;
        ok = each(f, [&](const Field& g) {
          if (g.tag == N_TYPE) ns.type = str(g);
          if (g.tag == N_PATH) ns.path = str(g);
        }) && ok;
        plan->namespaces.push_back(ns);
        break;
      }
      case T_MOUNT: {
        PlanMount m;
        ok = each(f, [&](const Field& g) {
          switch (g.tag) {
            case N_TARGET: m.destination = str(g); break;
            case N_SOURCE: m.source = str(g); break;
            case N_TYPE: m.type = str(g); break;
            case N_FLAGS: m.flags = u64(g); break;
            case N_PROPAGATION: m.propagation = u64(g); break;
            case N_DATA: m.data = str(g); break;
            case N_REMOUNT: m.remount = u64(g) != 0; break;
            default: break;
          }
        }) && ok;
        plan->mounts.push_back(m);
        break;
      }
      case T_DEVICE: {
        PlanDevice d;
        ok = each(f, [&](const Field& g) {
          switch (g.tag) {
            case N_PATH: d.path = str(g); break;
            case N_TYPE: d.type = g.len > 0 ? static_cast<char>(g.data[0]) : 'c'; break;
            case N_MAJOR: d.major = static_cast<uint32_t>(u64(g)); break;
            case N_MINOR: d.minor = static_cast<uint32_t>(u64(g)); break;
            case N_MODE: d.mode = static_cast<uint32_t>(u64(g)); break;
            case N_UID: d.uid = static_cast<uint32_t>(u64(g)); break;
            case N_GID: d.gid = static_cast<uint32_t>(u64(g)); break;
            default: break;
          }
        }) && ok;
        plan->devices.push_back(d);
        break;
      }
      case T_DEV_SYMLINK:
      case T_SYSCTL: {
        std::pair<std::string, std::string> kv;
        ok = each(f, [&](const Field& g) {
          if (g.tag == N_PATH) kv.first = str(g);
          if (g.tag == N_TARGET || g.tag == N_VALUE) kv.second = str(g);
        }) && ok;
        (f.tag == T_SYSCTL ? plan->sysctls : plan->dev_symlinks).push_back(kv);
        break;
      }
      case T_MASKED: plan->masked.push_back(str(f)); break;
      case T_READONLY: plan->readonly_paths.push_back(str(f)); break;
      case T_HOSTNAME: plan->hostname = str(f); plan->has_hostname = true; break;
      case T_DOMAINNAME: plan->domainname = str(f); plan->has_domainname = true; break;
      case T_PROCESS: ok = decode_process(f, &plan->process) && ok; break;
      case T_SECCOMP_PROGRAM: plan->process.seccomp = str(f); plan->process.has_seccomp = true; break;
      case T_SECCOMP_FLAGS: plan->process.seccomp_flags = u64(f); break;
      case T_CGROUP_PROCS: plan->cgroup_procs.push_back(str(f)); break;
      case T_MONITOR_CGROUP_PROCS: plan->monitor_cgroup_procs.push_back(str(f)); break;
      case T_STATE_DIR: plan->state_dir = str(f); break;
      case T_IO_MODE: plan->io_mode = static_cast<int>(u64(f)); break;
      case T_LOG_PATH: plan->log_path = str(f); break;
      case T_EXEC_PID: plan->exec_pid = static_cast<int32_t>(u64(f)); break;
      case T_EXEC_START_TIME: plan->exec_start_time = u64(f); break;
      case T_SETUP_TIMEOUT_MS: plan->setup_timeout_ms = u64(f); break;
      default: break;  // unknown tags are skipped: an older monitor ignores newer fields
    }
  }
  if (got != 0 || !ok) {
    *why = "truncated or malformed record";
    return false;
  }
  for (const auto& ns : plan->namespaces) {
    if (ns.type == "user") {
      *why = "namespaces: type user is not supported (no id mappings)";
      return false;
    }
    if (ns.type != "pid" && ns.type != "mount" && ns.type != "uts" && ns.type != "ipc" && ns.type != "network" &&
        ns.type != "cgroup") {
      *why = "namespaces: unknown type";
      return false;
    }
  }
  if (plan->process.args.empty()) {
    *why = "process.args is empty";
    return false;
  }
  if (plan->process.has_seccomp && (plan->process.seccomp.empty() || plan->process.seccomp.size() % 8 != 0)) {
    *why = "seccomp.program is not a whole number of 8-byte struct sock_filter";
    return false;
  }
  return true;
}

void prepare_process(PlanProcess* proc) {
  proc->argv.clear();
  for (auto& a : proc->args) proc->argv.push_back(&a[0]);
  proc->argv.push_back(nullptr);
  proc->envp.clear();
  for (auto& e : proc->env) {
    proc->envp.push_back(&e[0]);
    if (e.compare(0, 5, "PATH=") == 0) proc->path_env = e.c_str() + 5;
  }
  proc->envp.push_back(nullptr);
  proc->gids = proc->groups;
}
