// Files the monitor keeps in the container's state directory (read by TypeScript).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

/** Writes dir/name via dir/.name.tmp + rename, so a reader never sees half a file. */
bool write_state_file(const std::string& dir, const char* name, const std::string& content);
/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); 0 when unreadable. */
uint64_t process_start_time(pid_t pid);
std::string json_string(const char* s);
