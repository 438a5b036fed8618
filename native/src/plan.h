// The decoded plan, as the monitor holds it. Decoding allocates (std::string, vectors);
// that is fine in skiff-monitor, which is single-threaded, and it all happens before clone.
// prepare() then builds every pointer array the init needs, so between clone and execve
// the init only reads this memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

// Field tags of the wire format written by native/plan-wire.ts: [u16 tag][u32 len][bytes],
// little-endian; integers are 8-byte; a nested record is a field whose bytes are fields.
enum Tag : uint16_t {
  T_ID = 1, T_ROOT_PATH, T_ROOT_READONLY, T_ROOT_PROPAGATION, T_ROOT_OVERLAY_DATA,
  T_NAMESPACE, T_MOUNT, T_DEVICE, T_DEV_SYMLINK, T_MASKED, T_READONLY, T_HOSTNAME,
  T_DOMAINNAME, T_SYSCTL, T_PROCESS, T_SECCOMP_PROGRAM, T_SECCOMP_FLAGS, T_CGROUP_PROCS,
  T_STATE_DIR, T_IO_MODE, T_LOG_PATH, T_EXEC_PID, T_EXEC_START_TIME, T_SETUP_TIMEOUT_MS, T_MONITOR_CGROUP_PROCS,
  // nested fields
  N_TYPE = 100, N_PATH, N_SOURCE, N_FLAGS, N_PROPAGATION, N_DATA, N_REMOUNT, N_MAJOR, N_MINOR,
  N_MODE, N_UID, N_GID, N_TARGET, N_VALUE,
  P_ARG = 200, P_ENV, P_CWD, P_UID, P_GID, P_GROUP, P_UMASK, P_NNP, P_CAP_BOUNDING,
  P_CAP_EFFECTIVE, P_CAP_PERMITTED, P_CAP_INHERITABLE, P_CAP_AMBIENT, P_RLIMIT, P_OOM, P_TERMINAL,
  R_RESOURCE = 300, R_SOFT, R_HARD,
};

struct PlanNamespace {
  std::string type;
  std::string path;  // empty: create a new one
};

struct PlanMount {
  std::string destination, source, type, data;
  uint64_t flags = 0, propagation = 0;
  bool remount = false;
};

struct PlanDevice {
  std::string path;
  char type = 'c';
  uint32_t major = 0, minor = 0, mode = 0, uid = 0, gid = 0;
};

struct PlanRlimit {
  uint32_t resource = 0;
  uint64_t soft = 0, hard = 0;
};

struct PlanProcess {
  std::vector<std::string> args, env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> groups;
  int64_t umask = -1;
  bool no_new_privs = false;
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
  std::vector<PlanRlimit> rlimits;
  bool has_oom = false;
  int64_t oom_score_adj = 0;
  bool terminal = false;
  std::string seccomp;  // raw struct sock_filter[]
  bool has_seccomp = false;
  uint64_t seccomp_flags = 0;

  // Built by prepare(): NULL-terminated arrays pointing into the strings above.
  std::vector<char*> argv, envp;
  std::vector<uint32_t> gids;  // same as groups; kept as the setgroups(2) argument
  const char* path_env = nullptr;  // value of PATH= in env, for the args[0] lookup
  int cap_last_cap = 40;
};

struct ContainerPlan {
  std::string id;
  std::string root_path;
  bool root_readonly = false;
  uint64_t root_propagation = 0;
  std::string overlay_data;
  std::vector<PlanNamespace> namespaces;
  std::vector<PlanMount> mounts;
  std::vector<PlanDevice> devices;
  std::vector<std::pair<std::string, std::string>> dev_symlinks;
  std::vector<std::string> masked, readonly_paths;
  std::string hostname, domainname;
  bool has_hostname = false, has_domainname = false;
  std::vector<std::pair<std::string, std::string>> sysctls;  // (/proc/sys/... path, value)
  PlanProcess process;
  std::vector<std::string> cgroup_procs;
  std::vector<std::string> monitor_cgroup_procs;
  std::string state_dir;
  int io_mode = 0;  // 0 log, 1 inherit
  std::string log_path;
  int32_t exec_pid = 0;  // exec mode: the container init to join
  uint64_t exec_start_time = 0;  // and its /proc start time (0: unchecked)
  uint64_t setup_timeout_ms = 0;  // 0: none
};

/** Decodes the wire bytes; false with a reason in *why on malformed input. */
bool decode_plan(const uint8_t* p, size_t len, ContainerPlan* plan, const char** why);
/** Builds argv/envp pointer arrays and reads what the init needs from the host (cap_last_cap). */
void prepare_process(PlanProcess* proc);
