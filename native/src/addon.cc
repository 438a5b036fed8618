// Placeholder module entry: the runtime work lands in the native addon issue.
#include <napi.h>

static Napi::Object init(Napi::Env env, Napi::Object exports) { return exports; }

NODE_API_MODULE(skiff, init)
