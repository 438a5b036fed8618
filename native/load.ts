// Locates and loads the compiled addon and the skiff-monitor binary next to it. Works from
// the sources (native/*.ts under vitest) and from the build (dist/native/*.js).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw N-API surface (native/src/addon.cc). Use native/index.ts, not this. */
export interface Addon {
  steps: string[];
  createContainer(plan: Buffer, monitorPath: string, stdio: number[] | null): Promise<RawCreated>;
  execInContainer(plan: Buffer, monitorPath: string, stdio: number[]): Promise<RawExec>;
  startContainer(fifoPath: string): RawFailure | null;
  signalProcess(pid: number, startTime: number, signal: number): RawFailure | null;
  resizeTerminal(fd: number, rows: number, cols: number): RawFailure | null;
}

export interface RawCreated {
  pid: number;
  monitorPid: number;
  startTime: number;
  monitorStartTime: number;
  terminalFd?: number;
}

/** stdio entries: an fd to use, -1 for a new pipe, -2 for /dev/null. */
export interface RawExec extends RawCreated {
  stdin: number | null;
  stdout: number | null;
  stderr: number | null;
  statusFd: number;
}

export interface RawFailure {
  errno: number;
  code: string;
  syscall: string;
  step: string;
  path?: string;
  message: string;
}

function findBuildDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'build', 'Release');
    if (existsSync(join(candidate, 'skiff.node'))) return candidate;
    const fromRoot = join(dir, 'native', 'build', 'Release');
    if (existsSync(join(fromRoot, 'skiff.node'))) return fromRoot;
    dir = resolve(dir, '..');
  }
  throw new Error('load native addon: native/build/Release/skiff.node not found: run `npm ci` (node-gyp rebuild --directory native)');
}

let addon: Addon | undefined;
let buildDir: string | undefined;

export function loadAddon(): Addon {
  if (!addon) {
    buildDir = findBuildDir();
    addon = createRequire(import.meta.url)(join(buildDir, 'skiff.node')) as Addon;
  }
  return addon;
}

/** Absolute path of the static skiff-monitor executable built with the addon. */
export function monitorPath(): string {
  loadAddon();
  return join(buildDir as string, 'skiff-monitor');
}
