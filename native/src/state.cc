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
