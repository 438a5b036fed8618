// skiff probe: a static program run inside test containers that reports, as one JSON
// line on stdout, what the container looks like from the inside (the approach of crun's
// tests/init.c and youki's runtimetest). Other modes exercise limits and signals.
//
//   probe [report]          print the JSON report, exit 0
//   probe exit N            exit with status N
//   probe sleep S           sleep S seconds (SIGTERM with no handler: ignored as pid 1)
//   probe ignore-term S     SIG_IGN for SIGTERM, then sleep
//   probe trap-term S       on SIGTERM exit(143), as a shell `trap 'exit 143' TERM` does
//   probe memhog MB         allocate and touch MB MiB, then exit 0
//   probe forkbomb N        fork up to N children that sleep; report {"forked":k,"errno":e}
//   probe print             write "out-1\nout-2" to stdout and "err-1" to stderr
//   probe tty               report {"stdin":0|1,"stdout":0|1,"ttyname":"/dev/pts/N"} (isatty, ttyname)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static const char *status_field(const char *name) {
  static char line[512];
  static char value[512];
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return "";
  size_t n = strlen(name);
  value[0] = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      char *v = line + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = 0;
      snprintf(value, sizeof value, "%s", v);
      break;
    }
  }
  fclose(f);
  return value;
}

// -1 = could not open (errno in *err), else number of bytes readable (capped).
static long readable_bytes(const char *path, int *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { *err = errno; return -1; }
  char buf[4096];
  long total = 0;
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0 && total < 65536) total += r;
  *err = r < 0 ? errno : 0;
  close(fd);
  return total;
}

static int dir_entries(const char *path) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static void ns_link(const char *name) {
  char path[64], target[128];
  snprintf(path, sizeof path, "/proc/self/ns/%s", name);
  ssize_t n = readlink(path, target, sizeof target - 1);
  target[n < 0 ? 0 : n] = 0;
  printf("\"%s\":", name);
  json_str(target);
}

static void print_file(const char *key, const char *path) {
  char buf[16384];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  buf[n < 0 ? 0 : n] = 0;
  printf("\"%s\":", key);
  json_str(buf);
}

static int report(void) {
  struct utsname u;
  uname(&u);
  printf("{\"pid\":%d,\"ppid\":%d,\"uid\":%d,\"gid\":%d,\"hostname\":", getpid(), getppid(), getuid(), getgid());
  json_str(u.nodename);
  const char *fields[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    printf(",\"%s\":", fields[i]);
    json_str(status_field(fields[i]));
  }
  // Masked paths: files read as /dev/null (0 bytes), dirs are empty.
  int err = 0;
  long kcore = readable_bytes("/proc/kcore", &err);
  printf(",\"kcoreBytes\":%ld,\"kcoreErrno\":%d", kcore, err);
  long keys = readable_bytes("/proc/keys", &err);
  printf(",\"keysBytes\":%ld", keys);
  printf(",\"firmwareEntries\":%d", dir_entries("/sys/firmware"));
  // Read-only paths and /sys.
  int fd = open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
  printf(",\"procSysWriteErrno\":%d", fd < 0 ? errno : 0);
  if (fd >= 0) close(fd);
  printf(",\"sysMkdirErrno\":%d", mkdir("/sys/skiff-probe", 0755) < 0 ? errno : 0);
  fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
  printf(",\"sysrqWriteErrno\":%d", fd < 0 ? errno : 0);
  if (fd >= 0) close(fd);
  // Blocked syscalls (EPERM from seccomp, or from missing capabilities).
  errno = 0;
  long r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
  printf(",\"keyctlErrno\":%d", r < 0 ? errno : 0);
  r = syscall(SYS_unshare, 0x04000000 /* CLONE_NEWUTS: harmless if it succeeds */);
  printf(",\"unshareErrno\":%d", r < 0 ? errno : 0);
  // A filesystem type that does not exist: ENODEV when mount is allowed, EPERM when refused.
  r = mount("none", "/tmp", "skiff-probe-none", 0, NULL);
  printf(",\"mountErrno\":%d", r < 0 ? errno : 0);
  printf(",\"ns\":{");
  const char *ns[] = {"pid", "mnt", "net", "uts", "ipc"};
  for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
    if (i) putchar(',');
    ns_link(ns[i]);
  }
  printf("},");
  print_file("cgroup", "/proc/self/cgroup");
  putchar(',');
  print_file("mountinfo", "/proc/self/mountinfo");
  char cwd[256];
  printf(",\"cwd\":");
  json_str(getcwd(cwd, sizeof cwd) ? cwd : "");
  printf("}\n");
  return 0;
}

static void on_term(int sig) {
  (void)sig;
  _exit(143);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "report";
  long arg = argc > 2 ? atol(argv[2]) : 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (!strcmp(mode, "report")) return report();
  if (!strcmp(mode, "exit")) return (int)arg;
  if (!strcmp(mode, "tty")) {
    const char *name = ttyname(1);
    printf("{\"stdin\":%d,\"stdout\":%d,\"ttyname\":\"%s\"}\n", isatty(0), isatty(1), name ? name : "");
    return 0;
  }
  if (!strcmp(mode, "sleep") || !strcmp(mode, "ignore-term") || !strcmp(mode, "trap-term")) {
    if (!strcmp(mode, "ignore-term")) signal(SIGTERM, SIG_IGN);
    if (!strcmp(mode, "trap-term")) signal(SIGTERM, on_term);
    printf("sleeping\n");
    for (long i = 0; i < arg * 10; i++) usleep(100000);
    return 0;
  }
  if (!strcmp(mode, "memhog")) {
    for (long i = 0; i < arg; i++) {
      char *p = malloc(1 << 20);
      if (!p) return 12;
      memset(p, 1, 1 << 20);
    }
    printf("allocated %ld MiB\n", arg);
    return 0;
  }
  if (!strcmp(mode, "forkbomb")) {
    long forked = 0;
    int e = 0;
    for (; forked < arg; forked++) {
      pid_t p = fork();
      if (p == 0) { pause(); _exit(0); }
      if (p < 0) { e = errno; break; }
    }
    printf("{\"forked\":%ld,\"errno\":%d}\n", forked, e);
    return 0;
  }
  if (!strcmp(mode, "print")) {
    printf("out-1\nout-2\n");
    fprintf(stderr, "err-1\n");
    return 0;
  }
  fprintf(stderr, "probe: unknown mode %s\n", mode);
  return 2;
}
