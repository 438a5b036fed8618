// process.terminal: a pty allocated inside the container's own devpts instance (after
// pivot_root or setns(mnt), so /dev/ptmx is the container's pts/ptmx), its slave made the
// controlling terminal on 0-2 (and, for the init, bound over /dev/console), its master
// sent to the parent over the sync socket.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "fd.h"
#include "steps.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

bool setup_terminal(int sync_fd, bool bind_console, Failure* f) {
  Fd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.ok()) return fail(f, Step::terminal_open, "open", "/dev/ptmx");
  int unlock = 0;
  if (ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return fail(f, Step::terminal_open, "ioctl(TIOCSPTLCK)", "/dev/ptmx");
  // TIOCGPTPEER opens the slave from the master, never by a /dev/pts/N path a container
  // process could have swapped for a symlink (CVE-2025-52565 class).
  Fd slave(ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave.ok()) return fail(f, Step::terminal_open, "ioctl(TIOCGPTPEER)", "/dev/ptmx");
  if (bind_console) {
    Fd console(open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!console.ok()) return fail(f, Step::terminal_open, "open", "/dev/console");
    char source[32], target[32];
    if (mount(proc_fd_path(source, slave.get()), proc_fd_path(target, console.get()), nullptr, MS_BIND, nullptr) != 0)
      return fail(f, Step::terminal_open, "mount", "/dev/console");
  }
  for (int i = 0; i < 3; i++)
    if (dup2(slave.get(), i) < 0) return fail(f, Step::terminal_open, "dup2", nullptr);
  if (ioctl(0, TIOCSCTTY, 0) != 0) return fail(f, Step::terminal_open, "ioctl(TIOCSCTTY)", nullptr);
  SyncMsg m = {};
  m.kind = MSG_TERMINAL;
  if (!send_with_fd(sync_fd, &m, sizeof m, master.get())) return fail(f, Step::terminal_open, "sendmsg", nullptr);
  return true;
}
