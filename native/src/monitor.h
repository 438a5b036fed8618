// skiff-monitor: the static helper the addon execs for every container and every exec.
#pragma once
#include "errors.h"
#include "plan.h"

/** fd 3 of skiff-monitor: the stream socket to the addon (plan in, SyncMsgs out). */
constexpr int kAddonFd = 3;

void report_failure(const Failure& f);
int run_create(ContainerPlan& plan);
int run_exec(ContainerPlan& plan);
