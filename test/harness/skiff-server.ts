// Runs the real `bin/skiff server` as a child process, the way a user starts it, and
// stops it again. The test reads the actual address from the kubeconfig the server
// writes, so servers can listen on port 0 and test files run side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import https from 'node:https';
import * as yaml from 'js-yaml';

export const REPO = resolve(import.meta.dirname, '../..');
export const SKIFF = join(REPO, 'bin/skiff');

export interface ServerOptions {
  /** Put the state in this etcd instead of the embedded SQLite file. */
  etcdEndpoints?: string;
  /** Reuse a data dir (for restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
}

export interface RunningServer {
  dataDir: string;
  kubeconfig: string;
  url: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** Starts `skiff server --https-port 0` and resolves once /readyz answers. */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  if (!existsSync(join(REPO, 'dist/cli/index.js'))) {
    throw new Error('skiff is not built: run `npm run build` (npm test does it first)');
  }
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const args = ['server', '--data-dir', dataDir, '--https-port', '0', '--disable-agent'];
  if (opts.etcdEndpoints) args.push('--etcd-endpoints', opts.etcdEndpoints);
  // A stale kubeconfig from a previous run of this data dir names the old port.
  rmSync(kubeconfig, { force: true });
  const child = spawn(process.execPath, [SKIFF, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const deadline = Date.now() + 60_000;
  let url = '';
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`skiff server exited with ${child.exitCode}:\n${out}`);
      if (existsSync(kubeconfig)) {
        url = serverUrl(kubeconfig);
        if (await ready(kubeconfig, url)) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!url || !(await ready(kubeconfig, url))) throw new Error(`skiff server did not become ready within 60 s:\n${out}`);
  } catch (err) {
    // Never leave a half-started server (or the data dir we made for it) behind a failed start.
    await stopChild(child, exited);
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return { dataDir, kubeconfig, url, output: () => out, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function serverUrl(kubeconfig: string): string {
  const cfg = yaml.load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  return cfg.clusters[0]!.cluster.server;
}

function ready(kubeconfig: string, url: string): Promise<boolean> {
  const cfg = yaml.load(readFileSync(kubeconfig, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data'?: string } }[];
  };
  const caData = cfg.clusters[0]!.cluster['certificate-authority-data'];
  const ca = caData ? Buffer.from(caData, 'base64') : undefined;
  return new Promise((resolve) => {
    const req = https.get(`${url}/readyz`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}
