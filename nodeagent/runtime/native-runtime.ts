// The one place the runtime calls the native addon, and where exec plans are built.
//
// The monitor owns a directory of its own inside the container's state directory
// (<root>/<id>/monitor: exec fifo, pids, exit.json); TypeScript owns <root>/<id>/state.json
// and config.json next to it, so neither side ever writes the other's files.
import { join } from 'node:path';
import {
  createContainer, execInContainer, readExitStatus, resizeTerminal, signalProcess, startContainer,
  type CreatedContainer, type ExecPlan, type ExecProcess, type ExitStatus,
} from '../../native/index.js';
import type { ContainerPlan } from '../../native/plan.js';
import { cgroupProcsFiles } from './cgroups/cgroup.js';
import type { OciSpec } from './oci-spec.js';
import { planFromSpec } from './plan-from-spec.js';
import type { ContainerState } from './state.js';

export type { CreatedContainer, ExecProcess, ExitStatus };

/** The monitor's directory inside a container's state directory. */
export function monitorDir(containerDir: string): string {
  return join(containerDir, 'monitor');
}

export interface ExecOptions {
  args: string[];
  /** Replaces the container's environment when given. */
  env?: string[];
  cwd?: string;
  /** Allocate a terminal for the process. */
  tty?: boolean;
  /** fds for the process's 0, 1, 2; missing ones get pipes returned in the result. */
  stdio?: [number, number, number];
}

export type ExecResult = ExecProcess;

/** Creates the container described by `plan` (monitor + init blocked on the fifo). */
export function createNative(plan: ContainerPlan): Promise<CreatedContainer> {
  return createContainer(plan);
}

/** Releases a created container's init. */
export function startNative(containerDir: string): Promise<void> {
  return startContainer(monitorDir(containerDir));
}

/** Signals pid if it is still the process that started at startTime; false if gone. */
export function signalNative(pid: number, startTime: number, signal: number): boolean {
  return signalProcess(pid, startTime, signal);
}

/** Sets the window size of a container terminal (the pty master a terminal container hands back). */
export function resizeNativeTerminal(fd: number, rows: number, cols: number): void {
  resizeTerminal(fd, rows, cols);
}

/** The monitor's record of the init's exit, once there is one. */
export function readExitNative(containerDir: string): ExitStatus | undefined {
  return readExitStatus(monitorDir(containerDir));
}

/**
 * Runs a process in the running container: the container's own namespaces (joined via
 * the init's /proc/<pid>/ns), cgroup, user, capabilities, no_new_privs and seccomp, taken
 * from the saved config through the same planFromSpec the container was created with.
 */
export function execNative(state: ContainerState, spec: OciSpec, containerDir: string, opts: ExecOptions): Promise<ExecProcess> {
  const base = planFromSpec(spec, { id: state.id, bundle: state.bundle, stateDir: monitorDir(containerDir), io: { mode: 'log' }, cgroupProcs: [], cgroup: state.cgroup });
  const plan: ExecPlan = {
    pid: state.pid,
    startTime: state.pidStartTime,
    // user first: joining it decides what the other joins may do.
    namespaces: [...base.namespaces.map((n) => n.type)].sort((a, b) => (a === 'user' ? -1 : b === 'user' ? 1 : 0)),
    cgroupProcs: cgroupProcsFiles(state.cgroup),
    process: {
      ...base.process,
      args: opts.args,
      env: opts.env ?? base.process.env,
      cwd: opts.cwd ?? base.process.cwd,
      terminal: opts.tty ?? false,
    },
    ...(base.seccomp ? { seccomp: base.seccomp } : {}),
    ...(opts.stdio ? { stdio: opts.stdio } : {}),
  };
  return execInContainer(plan);
}
