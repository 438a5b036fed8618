// Cgroup placement. The directories and their limits are prepared by TypeScript; the only
// native job is moving a pid in before it runs anything (so nothing it forks escapes).
#include <fcntl.h>

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
