{
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
    "cflags_cc!": ["-fno-exceptions"]
  },
  "targets": [
    {
      "target_name": "skiff",
      "sources": ["src/addon.cc", "src/spawn.cc", "src/proc-stat.cc", "src/errors.cc", "src/fd.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "skiff-monitor",
      "type": "executable",
      "sources": [
        "src/monitor.cc", "src/init.cc", "src/exec.cc", "src/namespaces.cc", "src/cgroups.cc",
        "src/mounts.cc", "src/process.cc", "src/terminal.cc", "src/cri-log.cc", "src/state.cc", "src/proc-stat.cc", "src/plan-wire.cc",
        "src/errors.cc", "src/fd.cc"
      ],
      "cflags_cc": ["-fno-exceptions", "-fno-rtti"],
      "ldflags": ["-static"]
    }
  ]
}
