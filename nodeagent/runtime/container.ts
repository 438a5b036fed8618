// The container lifecycle over the native addon:
//
//   create: plan cgroup -> plan from spec -> cgroup dirs + limits -> state.json (creating)
//           -> native create (monitor forks the init, joins the cgroup, runs every setup
//           step, init blocks on the exec fifo) -> state.json (pid, start time, monitor)
//   start:  native start (open the fifo; the init execs) -> state.json (started)
//   wait:   exit.json appears (the monitor reaped the init); inotify on the state dir
//   stop:   SIGTERM, grace period, SIGKILL to the whole cgroup
//   remove: kill what is left, destroy the cgroup (after reading its OOM counter), rm dir
//
// Nothing here holds the container in memory: every method re-reads the state directory,
// so a container created by another process (an agent that died, `skiff oci create`) is
// handled exactly like one created here.
import { mkdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerPlan, PlanIo } from '../../native/plan.js';
import { type CgroupHandle, cgroupPids, cgroupProcsFiles, createCgroup, destroyCgroup, killCgroup, planCgroup, readOomKills } from './cgroups/cgroup.js';
import { readCgroupEnv, type CgroupEnv } from './cgroups/detect.js';
import { createNative, execNative, monitorDir, readExitNative, resizeNativeTerminal, signalNative, startNative, type ExecOptions, type ExecResult, type ExitStatus } from './native-runtime.js';
import type { OciSpec } from './oci-spec.js';
import { defaultDeviceRules, planFromSpec } from './plan-from-spec.js';
import {
  containerDir, isSameProcess, listContainerIds, readState, writeState,
  type ContainerState, type ContainerStatusName,
} from './state.js';

/** Why a stopped container stopped, in Kubernetes' words (ContainerStateTerminated.reason). */
export type ExitReason = 'Completed' | 'Error' | 'OOMKilled' | 'Unknown';

export interface ContainerExit {
  exitCode: number;
  /** Signal that ended the init, if one did. */
  signal: number | null;
  reason: ExitReason;
  finishedAt: string;
  /** The program could not be executed (e.g. not found), with the failing step. */
  error?: ExitStatus['error'];
}

export interface ContainerStatus {
  id: string;
  status: ContainerStatusName;
  pid: number;
  created: string;
  started?: string;
  exit?: ContainerExit;
  logPath?: string;
}

/** The OCI runtime state document (runtime-spec runtime.md "State"). */
export interface OciState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
  created: string;
}

export interface CreateOptions {
  id: string;
  /** Bundle directory: relative root and bind sources in the spec resolve against it (default: the state directory). */
  bundle?: string;
  spec: OciSpec;
  /** Default: CRI log at <state dir>/container.log. */
  io?: PlanIo;
}

const SIGTERM = 15;
const SIGKILL = 9;

/** Raised when an operation does not fit the container's current status (OCI lifecycle). */
export class ContainerStateError extends Error {
  constructor(readonly id: string, readonly status: ContainerStatusName, what: string) {
    super(`${what} container ${id}: it is ${status}`);
    this.name = 'ContainerStateError';
  }
}

/** A runtime over one state root (default for `skiff oci`: /run/skiff/oci). */
export class Runtime {
  private cgroupEnvCache?: CgroupEnv;

  constructor(readonly root: string, cgroupEnv?: CgroupEnv) {
    this.cgroupEnvCache = cgroupEnv;
  }

  private get cgroupEnv(): CgroupEnv {
    this.cgroupEnvCache ??= readCgroupEnv();
    return this.cgroupEnvCache;
  }

  /** Creates the container and leaves its init blocked before exec (OCI `created`). */
  async create(opts: CreateOptions): Promise<Container> {
    const dir = containerDir(this.root, opts.id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`create container ${opts.id}: a container with this id already exists in ${this.root}`);
      throw err;
    }
    let cgroupMade: CgroupHandle | undefined;
    try {
      const cgroup = planCgroup(this.cgroupEnv, opts.spec.linux?.cgroupsPath, opts.id);
      const io: PlanIo = opts.io ?? { mode: 'log', logPath: join(dir, 'container.log') };
      const stateDir = monitorDir(dir);
      mkdirSync(stateDir, { mode: 0o700 });
      const bundle = opts.bundle ?? dir;
      const plan: ContainerPlan = planFromSpec(opts.spec, { id: opts.id, bundle, stateDir, io, cgroupProcs: cgroupProcsFiles(cgroup), cgroup });
      // exec needs the container's security settings later, possibly in another process.
      writeFileSync(join(dir, 'config.json'), JSON.stringify(opts.spec));
      // createCgroup removes what it made if a limit is refused.
      await createCgroup(cgroup, opts.spec.linux?.resources, opts.spec.linux?.resources?.devices ? defaultDeviceRules(plan.devices) : []);
      cgroupMade = cgroup;
      const state: ContainerState = {
        ociVersion: opts.spec.ociVersion,
        id: opts.id,
        bundle,
        pid: 0,
        pidStartTime: 0,
        monitorPid: 0,
        monitorStartTime: 0,
        created: new Date().toISOString(),
        annotations: opts.spec.annotations ?? {},
        cgroup,
        ...(io.mode === 'log' && io.logPath ? { logPath: io.logPath } : {}),
        oomKillsAtCreate: readOomKills(cgroup),
      };
      writeState(dir, state);
      const init = await createNative(plan);
      writeState(dir, { ...state, pid: init.pid, pidStartTime: init.startTime, monitorPid: init.monitorPid, monitorStartTime: init.monitorStartTime });
      return new Container(this.root, opts.id, init.terminalFd);
    } catch (err) {
      if (cgroupMade) await destroyCgroup(cgroupMade, 5000).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      throw err instanceof Error && err.message.includes(opts.id) ? err : wrap(err, `create container ${opts.id}`);
    }
  }

  /** Re-adopts a container from disk (after an agent restart); undefined if unknown. */
  load(id: string): Container | undefined {
    return readState(containerDir(this.root, id)) ? new Container(this.root, id) : undefined;
  }

  /** Every container with state under the root. */
  list(): Container[] {
    return listContainerIds(this.root).map((id) => new Container(this.root, id));
  }
}

function wrap(err: unknown, what: string): Error {
  const e = err as Error & { code?: string; step?: string };
  return Object.assign(new Error(`${what}: ${e?.message ?? String(err)}`, { cause: err }), { code: e?.code, step: e?.step });
}

/** Re-adopts container `id` from the state root `root` (after an agent restart); undefined if unknown. */
export function loadContainer(root: string, id: string): Container | undefined {
  return new Runtime(root).load(id);
}

/** One container, addressed by its state directory. */
export class Container {
  readonly dir: string;

  /**
   * @param terminalFd the pty master of a terminal container created with io 'inherit'
   *   (only on the object `create` returned; the caller relays it and closes it).
   */
  constructor(readonly root: string, readonly id: string, readonly terminalFd?: number) {
    this.dir = containerDir(root, id);
  }

  /** Sets the container terminal's window size (terminal containers created here). */
  resizeTerminal(rows: number, cols: number): void {
    if (this.terminalFd === undefined) throw new Error(`resize terminal of container ${this.id}: it has no terminal held by this process`);
    resizeNativeTerminal(this.terminalFd, rows, cols);
  }

  /** The persisted state; throws if the container was removed. */
  get state(): ContainerState {
    const state = readState(this.dir);
    if (!state) throw new Error(`container ${this.id}: does not exist in ${this.root}`);
    return state;
  }

  /** Current status, derived from the pid (with start time), the monitor and exit.json. */
  status(): ContainerStatus {
    const state = this.state;
    const base = { id: this.id, pid: state.pid, created: state.created, ...(state.started ? { started: state.started } : {}), ...(state.logPath ? { logPath: state.logPath } : {}) };
    const exit = readExitNative(this.dir);
    if (exit) return { ...base, status: 'stopped', exit: this.toExit(state, exit) };
    if (state.pid === 0) return { ...base, status: 'creating' };
    if (isSameProcess(state.pid, state.pidStartTime)) return { ...base, status: state.started ? 'running' : 'created' };
    if (state.monitorPid > 0 && isSameProcess(state.monitorPid, state.monitorStartTime)) {
      // The init is gone and its monitor is about to record how; until then: stopped, exit pending.
      return { ...base, status: 'stopped' };
    }
    // The monitor may have written exit.json and exited since the first read.
    const late = readExitNative(this.dir);
    if (late) return { ...base, status: 'stopped', exit: this.toExit(state, late) };
    // Init and monitor both gone without a record (monitor killed): the exit is lost.
    return { ...base, status: 'stopped', exit: { exitCode: 255, signal: null, reason: 'Unknown', finishedAt: new Date().toISOString() } };
  }

  private toExit(state: ContainerState, exit: ExitStatus): ContainerExit {
    let oomKilled = false;
    try {
      oomKilled = readOomKills(state.cgroup) > state.oomKillsAtCreate;
    } catch {
      // cgroup already removed
    }
    const reason: ExitReason = oomKilled && !state.killedByStop ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error';
    return { exitCode: exit.exitCode, signal: exit.signal, reason, finishedAt: exit.finishedAt ?? new Date().toISOString(), ...(exit.error ? { error: exit.error } : {}) };
  }

  /** The OCI state document `skiff oci state` prints. */
  ociState(): OciState {
    const state = this.state;
    const status = this.status().status;
    return {
      ociVersion: state.ociVersion,
      id: this.id,
      status,
      pid: status === 'stopped' ? 0 : state.pid,
      bundle: state.bundle,
      annotations: state.annotations,
      created: state.created,
    };
  }

  /** Releases the init to exec the program (OCI `start`); only from `created`. */
  async start(): Promise<void> {
    const state = this.state;
    if (state.pid === 0) throw new ContainerStateError(this.id, 'creating', 'start');
    try {
      // The exec fifo answers atomically (no status pre-check to race with): ENOENT once
      // started, ENXIO when the init is gone.
      await startNative(this.dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENXIO') throw new ContainerStateError(this.id, this.status().status, 'start');
      throw err;
    }
    writeState(this.dir, { ...state, started: new Date().toISOString() });
  }

  /** Sends `signal` to the init (start time checked, so a reused pid is never hit). */
  kill(signal: number = SIGTERM): void {
    const state = this.state;
    const status = this.status().status;
    if (status !== 'created' && status !== 'running') throw new ContainerStateError(this.id, status, `signal ${signal} to`);
    signalNative(state.pid, state.pidStartTime, signal);
  }

  /** SIGKILLs every process in the container's cgroup. */
  async killAll(): Promise<void> {
    await killCgroup(this.state.cgroup);
  }

  /** Resolves with the exit once the monitor recorded it; rejects after `timeoutMs`. */
  async wait(timeoutMs = Infinity): Promise<ContainerExit> {
    const done = (): ContainerExit | undefined => {
      const s = this.status();
      return s.status === 'stopped' ? s.exit : undefined;
    };
    const now = done();
    if (now) return now;
    return new Promise<ContainerExit>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        watcher.close();
        clearInterval(poll);
        if (timer) clearTimeout(timer);
        fn();
      };
      const check = () => {
        try {
          const exit = done();
          if (exit) finish(() => resolve(exit));
        } catch (err) {
          finish(() => reject(err));
        }
      };
      // inotify on the state dir sees exit.json's rename at once; the slow poll covers a
      // monitor killed before writing it (status() then reports the exit as lost).
      const watcher = watch(monitorDir(this.dir), check);
      watcher.on('error', () => undefined);
      const poll = setInterval(check, 250);
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => finish(() => reject(Object.assign(new Error(`wait for container ${this.id}: still running after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))), timeoutMs)
        : undefined;
      check();
    });
  }

  /**
   * Stops like the kubelet: SIGTERM to the init, up to `graceMs` for it to exit, then
   * SIGKILL to the whole cgroup (a pid-1 without a TERM handler ignores TERM). Resolves
   * with the exit (143 for a TERM it honoured, 137 after the kill).
   */
  async stop(graceMs = 30_000): Promise<ContainerExit> {
    const status = this.status();
    if (status.status === 'stopped' && status.exit) return status.exit;
    if (status.status === 'created' || status.status === 'running') {
      try {
        this.kill(SIGTERM);
      } catch (err) {
        if (!(err instanceof ContainerStateError) && (err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      try {
        return await this.wait(graceMs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw err;
      }
    }
    writeState(this.dir, { ...this.state, killedByStop: true });
    await killCgroup(this.state.cgroup);
    return this.wait(10_000);
  }

  /**
   * Runs a process inside the running container (same namespaces, cgroup, security). With
   * `tty` the process gets a pty allocated inside the container; its master comes back as
   * `terminalFd` (and stdin/stdout/stderr are null).
   */
  async exec(args: string[], opts: Omit<ExecOptions, 'args'> = {}): Promise<ExecResult> {
    const status = this.status().status;
    if (status !== 'running') throw new ContainerStateError(this.id, status, 'exec in');
    const spec = JSON.parse(readFileSync(join(this.dir, 'config.json'), 'utf8')) as OciSpec;
    return execNative(this.state, spec, this.dir, { ...opts, args });
  }

  /**
   * Removes the container: its cgroup (read the exit status first: the OOM counter goes
   * with it) and its state directory. Refuses a container that is not stopped unless
   * `force`, which kills it first (OCI `delete`).
   */
  async remove(opts: { force?: boolean } = {}): Promise<void> {
    const state = readState(this.dir);
    if (!state) return;
    const status = this.status();
    if (status.status !== 'stopped' && !opts.force) throw new ContainerStateError(this.id, status.status, 'delete');
    if (status.status !== 'stopped' || cgroupHasProcesses(state)) {
      await killCgroup(state.cgroup);
      if (state.pid > 0) await this.wait(10_000).catch(() => undefined);
    }
    await destroyCgroup(state.cgroup);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function cgroupHasProcesses(state: ContainerState): boolean {
  try {
    return cgroupPids(state.cgroup).length > 0;
  } catch {
    return false;
  }
}
