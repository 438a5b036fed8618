// N-API surface of the addon. Marshals arguments, runs the blocking parts on the libuv
// pool, and turns a Failure into a plain object { errno, code, syscall, step, path,
// message } that native/index.ts wraps into a NativeError. It decides nothing.
#include <napi.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "fd.h"
#include "spawn.h"

namespace {

Napi::Object failure_object(Napi::Env env, const Failure& f) {
  Napi::Object o = Napi::Object::New(env);
  const char* code = strerrorname_np(f.err);
  char text[256];
  const char* why = strerror_r(f.err, text, sizeof text);
  std::string message = f.syscall;
  if (f.path[0] != '\0') message += std::string(" `") + f.path + "`";
  message += std::string(": ") + why;
  o.Set("errno", Napi::Number::New(env, -f.err));
  o.Set("code", Napi::String::New(env, code != nullptr ? code : "EUNKNOWN"));
  o.Set("syscall", Napi::String::New(env, f.syscall));
  o.Set("step", Napi::String::New(env, step_name(f.step)));
  if (f.path[0] != '\0') o.Set("path", Napi::String::New(env, f.path));
  o.Set("message", Napi::String::New(env, message));
  return o;
}

std::vector<uint8_t> buffer_bytes(const Napi::Value& v) {
  auto buf = v.As<Napi::Buffer<uint8_t>>();
  return std::vector<uint8_t>(buf.Data(), buf.Data() + buf.Length());
}

bool read_stdio(const Napi::Value& v, int out[3]) {
  out[0] = out[1] = out[2] = -1;
  if (!v.IsArray()) return false;
  auto arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < 3 && i < arr.Length(); i++) out[i] = arr.Get(i).As<Napi::Number>().Int32Value();
  return true;
}

// createContainer / execInContainer: spawn skiff-monitor and wait for its first answer.
class MonitorWorker : public Napi::AsyncWorker {
 public:
  MonitorWorker(Napi::Env env, std::string monitor, std::string mode, std::vector<uint8_t> plan, const int stdio[3],
                bool with_stdio, bool make_pipes)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), monitor_(std::move(monitor)),
        mode_(std::move(mode)), plan_(std::move(plan)), with_stdio_(with_stdio), make_pipes_(make_pipes) {
    memcpy(stdio_, stdio, sizeof stdio_);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    int child_ends[3] = {stdio_[0], stdio_[1], stdio_[2]};
    Fd pipe_child[3];
    if (make_pipes_) {
      for (int i = 0; i < 3; i++) {
        if (stdio_[i] == -2) child_ends[i] = -1;  // -2: /dev/null (a terminal exec)
        if (stdio_[i] >= 0 || stdio_[i] == -2) continue;
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) {
          ok_ = fail(&failure_, Step::monitor_prepare, "pipe2");
          return;
        }
        // stdin: the process reads p[0]; stdout/stderr: it writes p[1].
        pipes_[i].reset(i == 0 ? p[1] : p[0]);
        pipe_child[i].reset(i == 0 ? p[0] : p[1]);
        child_ends[i] = pipe_child[i].get();
      }
    }
    ok_ = spawn_monitor(monitor_.c_str(), mode_.c_str(), plan_, with_stdio_ || make_pipes_ ? child_ends : nullptr,
                        &answer_, &failure_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Reject(failure_object(env, failure_));
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("pid", Napi::Number::New(env, answer_.msg.pid));
    r.Set("monitorPid", Napi::Number::New(env, answer_.msg.monitor_pid));
    r.Set("startTime", Napi::Number::New(env, static_cast<double>(answer_.msg.start_time)));
    r.Set("monitorStartTime", Napi::Number::New(env, static_cast<double>(answer_.msg.monitor_start_time)));
    if (answer_.passed.ok()) r.Set("terminalFd", Napi::Number::New(env, answer_.passed.release()));
    if (make_pipes_) {
      const char* names[3] = {"stdin", "stdout", "stderr"};
      for (int i = 0; i < 3; i++)
        r.Set(names[i], pipes_[i].ok() ? Napi::Number::New(env, pipes_[i].release()) : env.Null());
      r.Set("statusFd", Napi::Number::New(env, answer_.sock.release()));
    }
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string monitor_, mode_;
  std::vector<uint8_t> plan_;
  int stdio_[3];
  bool with_stdio_, make_pipes_;
  bool ok_ = false;
  Failure failure_ = {};
  MonitorAnswer answer_;
  Fd pipes_[3];
};

// createContainer(plan: Buffer, monitorPath: string, stdio: number[] | null): Promise<...>
Napi::Value CreateContainer(const Napi::CallbackInfo& info) {
  int stdio[3];
  bool with_stdio = read_stdio(info[2], stdio);
  auto* w = new MonitorWorker(info.Env(), info[1].As<Napi::String>().Utf8Value(), "create", buffer_bytes(info[0]), stdio,
                              with_stdio, false);
  w->Queue();
  return w->Promise();
}

// execInContainer(plan: Buffer, monitorPath: string, stdio: number[] (-1 = make a pipe, -2 = /dev/null))
Napi::Value ExecInContainer(const Napi::CallbackInfo& info) {
  int stdio[3];
  read_stdio(info[2], stdio);
  auto* w = new MonitorWorker(info.Env(), info[1].As<Napi::String>().Utf8Value(), "exec", buffer_bytes(info[0]), stdio,
                              true, true);
  w->Queue();
  return w->Promise();
}

// startContainer(fifoPath: string): null | failure object. Synchronous on purpose: an
// O_NONBLOCK open and a one-byte write never block, and a pool round trip would cost more.
Napi::Value StartContainer(const Napi::CallbackInfo& info) {
  Failure f = {};
  if (start_container(info[0].As<Napi::String>().Utf8Value().c_str(), &f)) return info.Env().Null();
  return failure_object(info.Env(), f);
}

// signalProcess(pid: number, startTime: number (0: unchecked), signal: number): null | failure object
Napi::Value SignalProcess(const Napi::CallbackInfo& info) {
  uint64_t start_time = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  Failure f = {};
  if (signal_process(info[0].As<Napi::Number>().Int32Value(), start_time, info[2].As<Napi::Number>().Int32Value(), &f))
    return info.Env().Null();
  return failure_object(info.Env(), f);
}

// resizeTerminal(fd: number, rows: number, cols: number): null | failure object
Napi::Value ResizeTerminal(const Napi::CallbackInfo& info) {
  Failure f = {};
  if (resize_terminal(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                      info[2].As<Napi::Number>().Int32Value(), &f))
    return info.Env().Null();
  return failure_object(info.Env(), f);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Array steps = Napi::Array::New(env);
  for (uint32_t i = 0; i < static_cast<uint32_t>(Step::count_); i++)
    steps.Set(i, Napi::String::New(env, step_name(static_cast<Step>(i))));
  exports.Set("steps", steps);
  exports.Set("createContainer", Napi::Function::New(env, CreateContainer, "createContainer"));
  exports.Set("execInContainer", Napi::Function::New(env, ExecInContainer, "execInContainer"));
  exports.Set("startContainer", Napi::Function::New(env, StartContainer, "startContainer"));
  exports.Set("signalProcess", Napi::Function::New(env, SignalProcess, "signalProcess"));
  exports.Set("resizeTerminal", Napi::Function::New(env, ResizeTerminal, "resizeTerminal"));
  return exports;
}

}  // namespace

NODE_API_MODULE(skiff, Init)
