// Cgroup placement. The directories and their limits are prepared by TypeScript; the only
// native job is moving a pid in before it runs anything (so nothing it forks escapes).
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include <cstring>

#include "fd.h"
#include "steps.h"

bool join_cgroups(pid_t pid, const std::vector<std::string>& procs_files, Failure* f) {
  char digits[16];
  int n = 0;
  char rev[16];
  unsigned v = static_cast<unsigned>(pid);
  do {
    rev[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = 0; i < n; i++) digits[i] = rev[n - 1 - i];
  digits[n] = '\n';
  for (const auto& file : procs_files) {
    Fd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.ok()) return fail(f, Step::cgroup_join, "open", file.c_str());
    if (!write_all(fd.get(), digits, static_cast<size_t>(n) + 1)) return fail(f, Step::cgroup_join, "write", file.c_str());
  }
  return true;
}

int open_unified_cgroup(const std::vector<std::string>& procs_files, size_t* index, Failure* f) {
  for (size_t i = 0; i < procs_files.size(); i++) {
    const std::string& file = procs_files[i];
    size_t slash = file.rfind('/');
    if (slash == std::string::npos || file.compare(slash + 1, std::string::npos, "cgroup.procs") != 0) continue;
    std::string dir = file.substr(0, slash);
    struct statfs sf;
    if (statfs(dir.c_str(), &sf) != 0) {
      fail(f, Step::cgroup_join, "statfs", dir.c_str());
      return -1;
    }
    if (sf.f_type != CGROUP2_SUPER_MAGIC) continue;
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail(f, Step::cgroup_join, "open", dir.c_str());
    *index = i;
    return fd;
  }
  *index = procs_files.size();
  return -1;
}
