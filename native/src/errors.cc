#include "errors.h"

#include <cstring>

static const char* const kStepNames[] = {
#define STEP(id, name) name,
#include "steps.def"
#undef STEP
};

const char* step_name(Step step) {
  auto i = static_cast<size_t>(step);
  return i < static_cast<size_t>(Step::count_) ? kStepNames[i] : "unknown";
}

void copy_str(char* dst, size_t cap, const char* src) {
  size_t i = 0;
  if (src != nullptr)
    for (; i + 1 < cap && src[i] != '\0'; i++) dst[i] = src[i];
  dst[i] = '\0';
}

bool fail_with(Failure* f, Step step, int err, const char* syscall, const char* path) {
  f->step = step;
  f->err = err;
  copy_str(f->syscall, sizeof f->syscall, syscall);
  copy_str(f->path, sizeof f->path, path);
  return false;
}

bool fail(Failure* f, Step step, const char* syscall, const char* path) {
  return fail_with(f, step, errno, syscall, path);
}

void msg_from_failure(SyncMsg* m, const Failure& f) {
  memset(m, 0, sizeof *m);
  m->kind = MSG_ERROR;
  m->err = f.err;
  copy_str(m->step, sizeof m->step, step_name(f.step));
  copy_str(m->syscall, sizeof m->syscall, f.syscall);
  copy_str(m->path, sizeof m->path, f.path);
}

void failure_from_msg(Failure* f, const SyncMsg& m) {
  f->err = m.err;
  f->step = Step::count_;
  for (size_t i = 0; i < static_cast<size_t>(Step::count_); i++)
    if (strncmp(kStepNames[i], m.step, sizeof m.step) == 0) f->step = static_cast<Step>(i);
  copy_str(f->syscall, sizeof f->syscall, m.syscall);
  copy_str(f->path, sizeof f->path, m.path);
}
