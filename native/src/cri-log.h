// Container stdout/stderr -> CRI log format lines:
//   2016-10-06T00:17:09.669794202Z stdout F line
// 'F' ends a line; 'P' is a partial line cut at the buffer size (kubelet joins them).
#pragma once
#include <cstddef>

struct LogStream {
  const char* name;  // "stdout" / "stderr"
  int fd;            // read end of the pipe, -1 once at EOF
  size_t len = 0;
  char buf[16384];
};

/** Reads what is available from s.fd and appends whole (or buffer-sized partial) lines to log_fd.
 *  Returns false at EOF or on a read error (the stream is then flushed and closed). */
bool pump_stream(LogStream* s, int log_fd);
/** RFC 3339 UTC with nanoseconds, as CRI logs and Kubernetes timestamps use. */
void format_timestamp(char (&buf)[64]);
