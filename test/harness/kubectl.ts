// Runs the machine's real kubectl clients. The `kubectl` on PATH is a dispatcher that
// picks a client by the server's reported minor version; tests call the versioned
// binaries next to it directly, each with a fresh HOME so no discovery cache is shared.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

export type KubectlVersion = '1.27' | '1.32';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The folder holding kubectl.1.27 ... kubectl.1.33; fails clearly when kubectl is missing. */
export function kubectlDir(): string {
  let onPath: string;
  try {
    onPath = execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim();
  } catch {
    throw new Error('kubectl is not on PATH: the tests need the real kubectl clients (kubectl.1.27 and kubectl.1.32)');
  }
  return dirname(realpathSync(onPath));
}

// Every client made while a test file runs is disposed when that file ends: this module is
// imported during the file's collection, so the hook attaches to the file's root suite.
const created = new Set<Kubectl>();
afterAll(() => {
  for (const k of created) k.dispose();
  created.clear();
});

export class Kubectl {
  readonly binary: string;
  private readonly home = mkdtempSync(join(tmpdir(), 'skiff-kubectl-home-'));

  constructor(readonly version: KubectlVersion, readonly kubeconfig: string) {
    created.add(this);
    this.binary = join(kubectlDir(), `kubectl.${version}`);
    if (!existsSync(this.binary)) throw new Error(`${this.binary} is missing`);
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, HOME: this.home, KUBECONFIG: this.kubeconfig, KUBECACHEDIR: join(this.home, 'cache') };
  }

  /** Runs kubectl to completion; never throws for a non-zero exit. */
  run(args: string[], input?: string): Promise<CommandResult> {
    return runCommand(this.binary, args, this.env(), input);
  }

  /** Removes this client's HOME (its discovery and HTTP caches). */
  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }

  /** Starts a long-running kubectl (e.g. `get -w`); the caller kills it. */
  spawn(args: string[]): ChildProcess {
    return spawn(this.binary, args, { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

export function runCommand(bin: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
