// A real etcd for tests: Debian's etcd-server on free loopback ports in a temp data dir.
// The global setup starts one for the whole run and publishes its endpoint in SKIFF_TEST_ETCD;
// a test that needs a private etcd (compaction, restarts) starts its own with startEtcd().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BINARY = '/usr/bin/etcd';
/** The environment variable holding the shared test etcd's client URL. */
export const ETCD_ENV = 'SKIFF_TEST_ETCD';
/** Set by the global setup instead of ETCD_ENV when the shared etcd could not be started. */
export const ETCD_ERROR_ENV = 'SKIFF_TEST_ETCD_ERROR';

export interface EtcdServer {
  /** Client URL, e.g. http://127.0.0.1:40123. */
  endpoint: string;
  dataDir: string;
  /** Stops etcd and removes its data dir; idempotent. */
  stop(): Promise<void>;
  /** Stops etcd and starts it again on the same ports and data (a crash-free restart). */
  restart(): Promise<void>;
}

/** The name e2e tests use for a started etcd. */
export type RunningEtcd = EtcdServer;

/** Throws a message saying how to install etcd when the binary is missing. */
export function requireEtcd(): void {
  if (!existsSync(ETCD_BINARY)) {
    throw new Error(`etcd is not installed at ${ETCD_BINARY}: apt-get install -y etcd-server`);
  }
}

/** The shared etcd's endpoint; throws the global setup's reason when there is none. */
export function testEtcdEndpoint(): string {
  const endpoint = process.env[ETCD_ENV];
  if (endpoint) return endpoint;
  throw new Error(process.env[ETCD_ERROR_ENV]
    ?? `no test etcd: ${ETCD_ENV} is unset (run the tests through vitest so test/harness/global-setup.ts starts one)`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts etcd and resolves once /health says true; retries when a picked port was taken meanwhile. */
export async function startEtcd(opts: { name?: string } = {}): Promise<EtcdServer> {
  requireEtcd();
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts.name ?? 'skiff-test');
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw lastError!;
}

async function startOnce(name: string): Promise<EtcdServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', name,
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `${name}=${peer}`,
    '--initial-cluster-state', 'new',
    '--log-level', 'warn',
    '--logger', 'zap',
  ];
  let child: ChildProcess | undefined;
  const run = async () => {
    let stderr = '';
    child = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    await waitHealthy(endpoint, child, () => stderr);
  };
  const server: EtcdServer = {
    endpoint,
    dataDir,
    stop: async () => {
      if (child) await stopProcess(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      if (child) await stopProcess(child);
      await run();
    },
  };
  try {
    await run();
    return server;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function waitHealthy(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`start etcd ${endpoint}: exited with ${child.exitCode ?? child.signalCode}: ${stderr().trim()}`);
    }
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = await res.json() as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`start etcd ${endpoint}: not healthy after 20s: ${stderr().trim()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
