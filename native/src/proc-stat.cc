#include "proc-stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fd.h"

uint64_t process_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  Fd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return 0;
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // comm (field 2) may contain spaces and parens: count fields after the last ')'.
  char* p = strrchr(buf, ')');
  if (p == nullptr) return 0;
  int field = 2;
  while (*p != '\0' && field < 22) {
    if (*p == ' ') field++;
    p++;
  }
  return field == 22 ? strtoull(p, nullptr, 10) : 0;
}
