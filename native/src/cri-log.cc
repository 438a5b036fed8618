#include "cri-log.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fd.h"

void format_timestamp(char (&buf)[64]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

namespace {

// One output batch per read keeps lines from both streams whole in the file.
char out[2 * 16384 + 4096];

void emit(int log_fd, const char* ts, const char* stream, char tag, const char* line, size_t len, size_t* used) {
  size_t need = strlen(ts) + strlen(stream) + len + 8;
  if (*used + need > sizeof out) {
    (void)write_all(log_fd, out, *used);
    *used = 0;
  }
  int n = snprintf(out + *used, sizeof out - *used, "%s %s %c ", ts, stream, tag);
  *used += static_cast<size_t>(n);
  memcpy(out + *used, line, len);
  *used += len;
  out[(*used)++] = '\n';
}

}  // namespace

bool pump_stream(LogStream* s, int log_fd) {
  ssize_t n;
  do n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return true;
  bool eof = n <= 0;
  if (!eof) s->len += static_cast<size_t>(n);
  char ts[64];
  format_timestamp(ts);
  size_t used = 0, start = 0;
  for (size_t i = 0; i < s->len; i++) {
    if (s->buf[i] != '\n') continue;
    emit(log_fd, ts, s->name, 'F', s->buf + start, i - start, &used);
    start = i + 1;
  }
  if (start == 0 && s->len == sizeof s->buf) {
    emit(log_fd, ts, s->name, 'P', s->buf, s->len, &used);
    start = s->len;
  }
  if (eof && start < s->len) {
    emit(log_fd, ts, s->name, 'F', s->buf + start, s->len - start, &used);
    start = s->len;
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
  if (used > 0) (void)write_all(log_fd, out, used);
  if (eof) {
    close(s->fd);
    s->fd = -1;
  }
  return !eof;
}
