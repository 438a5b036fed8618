#include "state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fd.h"

bool write_state_file(const std::string& dir, const char* name, const std::string& content) {
  std::string tmp = dir + "/." + name + ".tmp";
  std::string final_path = dir + "/" + name;
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.ok()) return false;
  // No fsync: stateDir lives on tmpfs (/run) and rename is what makes the file whole for readers.
  if (!write_all(fd.get(), content.data(), content.size())) return false;
  fd.reset();
  return rename(tmp.c_str(), final_path.c_str()) == 0;
}

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

std::string json_string(const char* s) {
  std::string out = "\"";
  for (; *s != '\0'; s++) {
    unsigned char c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}
