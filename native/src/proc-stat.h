// Reading /proc/<pid>/stat: shared by the addon (signalling a container safely) and the
// monitor (recording which process it started), so a recycled pid is never mistaken for it.
#pragma once
#include <sys/types.h>

#include <cstdint>

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); 0 when unreadable. */
uint64_t process_start_time(pid_t pid);
