// The native runtime's public surface: carry out a ContainerPlan (create, start, exec),
// signal and watch containers. Everything here does syscalls; nothing decides policy
// (nodeagent/runtime builds the plans). Topology and protocol: native/README.md.
import { existsSync, readFileSync, watch } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { loadAddon, monitorPath, type RawFailure } from './load.js';
import { encodeContainerPlan, encodeExecPlan } from './plan-wire.js';
import type { ContainerPlan, ExecPlan } from './plan.js';

export type * from './plan.js';
export { steps } from './steps.js';
export { monitorPath } from './load.js';

/** A failed native step, shaped like Node's SystemError plus the stable `step` name. */
export class NativeError extends Error {
  readonly code: string;
  /** Negative errno, as in Node's SystemError. */
  readonly errno: number;
  readonly syscall: string;
  /** Stable step name from native/src/steps.def, e.g. 'rootfs.pivot-root'. */
  readonly step: string;
  readonly path?: string;

  constructor(raw: RawFailure) {
    super(raw.message);
    this.name = 'NativeError';
    this.code = raw.code;
    this.errno = raw.errno;
    this.syscall = raw.syscall;
    this.step = raw.step;
    if (raw.path !== undefined) this.path = raw.path;
  }
}

function rethrow(e: unknown): never {
  if (e && typeof e === 'object' && 'step' in e && 'errno' in e) throw new NativeError(e as RawFailure);
  throw e;
}

/** A created container: its init (blocked on the exec fifo) and its monitor. */
export interface CreatedContainer {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot), to tell a recycled pid apart. */
  startTime: number;
  monitorPid: number;
  monitorStartTime: number;
  /**
   * With process.terminal and io.mode 'inherit': the pty master, owned by the caller
   * (with io.mode 'log' the monitor keeps it and logs the terminal's output as stdout).
   */
  terminalFd?: number;
}

/** How a container or exec'd process ended (stateDir/exit.json). */
export interface ExitStatus {
  /** Exit code, or 128 + signal number when killed by a signal. */
  exitCode: number;
  /** Signal number that killed it, or null. */
  signal: number | null;
  /** RFC 3339 time the monitor saw the exit (absent for exec). */
  finishedAt?: string;
  /** Set when execve itself failed after start (the container never ran its program). */
  error?: { step: string; errno: number; syscall: string; path: string };
}

/**
 * Creates the container: spawns its monitor, which clones the init into new namespaces,
 * places it in `plan.cgroupProcs`, runs every setup step and leaves it blocked on
 * `stateDir/exec.fifo`. Resolves once all of that succeeded; rejects with a NativeError
 * naming the failed step, leaving no process behind. `plan.stateDir` must exist.
 */
export async function createContainer(plan: ContainerPlan): Promise<CreatedContainer> {
  const wire = encodeContainerPlan(plan);
  const stdio = plan.io.mode === 'inherit' ? (plan.io.stdio ?? [0, 1, 2]) : null;
  try {
    const r = await loadAddon().createContainer(wire, monitorPath(), stdio);
    const created: CreatedContainer = { pid: r.pid, startTime: r.startTime, monitorPid: r.monitorPid, monitorStartTime: r.monitorStartTime };
    if (r.terminalFd !== undefined) created.terminalFd = r.terminalFd;
    return created;
  } catch (e) {
    rethrow(e);
  }
}

/**
 * Lets a created container exec its process (writes to stateDir/exec.fifo, like `runc
 * start`). Rejects with code ENXIO (step 'process.exec-fifo') when the init is gone,
 * ENOENT when it was already started.
 */
export async function startContainer(stateDir: string): Promise<void> {
  const failure = loadAddon().startContainer(join(stateDir, 'exec.fifo'));
  if (failure !== null) throw new NativeError(failure);
}

function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = constants.signals[signal];
  if (n === undefined) throw new Error(`signal process: unknown signal ${signal}`);
  return n;
}

/**
 * Sends `signal` to pid through a pidfd, after checking its start time (0 skips the
 * check). Returns false when the process is gone or the pid now belongs to another one.
 * Note: a container init without a handler ignores SIGTERM (pid-namespace init rule).
 */
export function signalProcess(pid: number, startTime: number, signal: NodeJS.Signals | number): boolean {
  const failure = loadAddon().signalProcess(pid, startTime, signalNumber(signal));
  if (failure === null) return true;
  if (failure.code === 'ESRCH') return false;
  throw new NativeError(failure);
}

/**
 * Makes the monitor reopen plan.io.logPath (CRI ReopenContainerLog): rename the log away
 * first, then call this. Resolves once the monitor has created the new file; false when
 * the monitor is gone.
 */
export async function reopenContainerLog(container: Pick<CreatedContainer, 'monitorPid' | 'monitorStartTime'>, logPath: string, timeoutMs = 2000): Promise<boolean> {
  if (!signalProcess(container.monitorPid, container.monitorStartTime, 'SIGUSR1')) return false;
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(logPath)) {
    if (Date.now() > deadline) throw new Error(`reopen container log ${logPath}: the monitor (pid ${container.monitorPid}) did not recreate it within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Sets the window size of a container's terminal (the pty master from createContainer). */
export function resizeTerminal(fd: number, rows: number, cols: number): void {
  const failure = loadAddon().resizeTerminal(fd, rows, cols);
  if (failure !== null) throw new NativeError(failure);
}

/** Start time of pid from /proc/<pid>/stat (field 22), or undefined when it does not run (or is a zombie). */
export function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may contain spaces and ')': count from the last ')'. fields[0] is the state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

/** True when pid runs and is the same process that had `startTime` (not a recycled pid, not a zombie). */
export function isAlive(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}

/** State recorded by the monitor at create (stateDir/state.json), for re-adoption after a restart. */
export function readContainerState(stateDir: string): CreatedContainer | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as CreatedContainer;
  } catch {
    return undefined;
  }
}

/** The recorded exit of a container, or undefined while it runs. */
export function readExitStatus(stateDir: string): ExitStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'exit.json'), 'utf8')) as ExitStatus;
  } catch {
    return undefined;
  }
}

/**
 * Resolves with the container's exit once its monitor recorded it. Watches stateDir with
 * inotify (exit.json appears by rename); if the monitor itself dies without recording
 * (killed), rejects, noticed by a liveness check every `monitorCheckMs`.
 */
export function waitForExit(stateDir: string, opts: { signal?: AbortSignal; monitorCheckMs?: number } = {}): Promise<ExitStatus> {
  return new Promise((resolve, reject) => {
    const watcher = watch(stateDir);
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | undefined, status?: ExitStatus) => {
      watcher.close();
      if (timer) clearInterval(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(status as ExitStatus);
    };
    const check = () => {
      const status = readExitStatus(stateDir);
      if (status) finish(undefined, status);
      return status !== undefined;
    };
    const onAbort = () => finish(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('wait for exit: aborted'));
    watcher.on('change', () => void check());
    watcher.on('error', (e) => finish(e));
    opts.signal?.addEventListener('abort', onAbort);
    if (check()) return;
    timer = setInterval(() => {
      if (check()) return;
      const state = readContainerState(stateDir);
      if (state && !isAlive(state.monitorPid, state.monitorStartTime) && !check())
        finish(new Error(`wait for exit of container in ${stateDir}: its monitor (pid ${state.monitorPid}) died without recording an exit`));
    }, opts.monitorCheckMs ?? 2000);
    timer.unref();
  });
}

/** A process started in a running container. */
export interface ExecProcess {
  /** Host pid of the process. */
  pid: number;
  /** Pipe ends for the process's stdio (null where ExecPlan.stdio gave an fd); the caller owns and closes them. */
  stdin: number | null;
  stdout: number | null;
  stderr: number | null;
  /** With process.terminal: the pty master (stdin/stdout/stderr are then null); the caller closes it. */
  terminalFd?: number;
  /** Resolves when the process exits (reported by its skiff-monitor exec helper). */
  exited: Promise<ExitStatus>;
}

/**
 * Runs a process inside a running container: a fresh skiff-monitor joins the init's
 * cgroups and namespaces (never a fork of node) and applies the plan's security settings.
 * Rejects with a NativeError naming the failed step (e.g. 'process.lookup').
 */
export async function execInContainer(plan: ExecPlan): Promise<ExecProcess> {
  // With a terminal the pty is the process's stdio: no pipes (the helper gets /dev/null).
  const stdio = [0, 1, 2].map((i) => plan.stdio?.[i] ?? (plan.process.terminal ? -2 : -1));
  let raw;
  try {
    raw = await loadAddon().execInContainer(encodeExecPlan(plan), monitorPath(), stdio);
  } catch (e) {
    rethrow(e);
  }
  const socket = new Socket({ fd: raw.statusFd, readable: true, writable: false });
  const exited = new Promise<ExitStatus>((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const line = text.split('\n')[0];
      if (line) resolve(JSON.parse(line) as ExitStatus);
      else reject(new Error(`exec in container ${plan.pid}: the exec helper exited without reporting a status`));
    });
  });
  // A caller that never awaits `exited` must not crash the agent with an unhandled rejection.
  exited.catch(() => undefined);
  const proc: ExecProcess = { pid: raw.pid, stdin: raw.stdin, stdout: raw.stdout, stderr: raw.stderr, exited };
  if (raw.terminalFd !== undefined) proc.terminalFd = raw.terminalFd;
  return proc;
}
