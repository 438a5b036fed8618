// RAII file descriptor and small fd helpers shared by the addon and skiff-monitor.
#pragma once
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

/** write(2) until done; false with errno set on failure. */
bool write_all(int fd, const void* buf, size_t len);
/** read(2) exactly len bytes; false on error or EOF (errno 0 on EOF). */
bool read_all(int fd, void* buf, size_t len);
/** Writes "/proc/self/fd/<fd>" into buf (async-signal-safe). */
const char* proc_fd_path(char (&buf)[32], int fd);
/** send(2)/recvmsg(2) of one fd as SCM_RIGHTS next to a payload. */
bool send_with_fd(int sock, const void* buf, size_t len, int fd);
/** Receives a payload of exactly len bytes; *fd_out gets a passed fd or -1. */
bool recv_with_fd(int sock, void* buf, size_t len, int* fd_out);
