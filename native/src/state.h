// Files the monitor keeps in the container's state directory (read by TypeScript).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "proc-stat.h"

/** Writes dir/name via dir/.name.tmp + rename, so a reader never sees half a file. */
bool write_state_file(const std::string& dir, const char* name, const std::string& content);
std::string json_string(const char* s);
