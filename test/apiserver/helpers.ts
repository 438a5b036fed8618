// Starts the real API server in-process (HTTPS on port 0, a temp data dir, SQLite or the
// shared test etcd under a key prefix of its own) and talks to it over real HTTPS with
// the admin client certificate from the kubeconfig it wrote.
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../apiserver/index.js';
import { load as loadYaml } from 'js-yaml';
import { testEtcdEndpoint } from '../harness/etcd.js';

/** Where and how to reach the server, from the kubeconfig it wrote. */
export interface Credentials {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function credentialsFrom(kubeconfigPath: string): Credentials {
  const cfg = loadYaml(readFileSync(kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const b64 = (s: string) => Buffer.from(s, 'base64');
  return {
    server: cfg.clusters[0]!.cluster.server,
    ca: b64(cfg.clusters[0]!.cluster['certificate-authority-data']),
    cert: b64(cfg.users[0]!.user['client-certificate-data']),
    key: b64(cfg.users[0]!.user['client-key-data']),
  };
}

export type Backend = 'sqlite' | 'etcd';
export const BACKENDS: Backend[] = ['sqlite', 'etcd'];

export interface TestServer {
  server: ApiServer;
  creds: Credentials;
  dataDir: string;
  backend: Backend;
  etcdPrefix?: string;
  /** Starts a second server on the same state (after stop), as a restart. */
  restart(): Promise<TestServer>;
  stop(): Promise<void>;
  /** stop() plus removal of the data dir. */
  cleanup(): Promise<void>;
}

let counter = 0;

export interface ExtraOptions {
  bookmarkIntervalMs?: number;
  progressIntervalMs?: number;
  /** An etcd of the test's own instead of the shared one (compaction is store-wide). */
  etcdEndpoint?: string;
  /** Off unless asked for: compacting the shared etcd would expire other files' revisions. */
  compactionIntervalMs?: number;
}

export async function startTestServer(backend: Backend, reuse?: { dataDir: string; etcdPrefix?: string }, extra: ExtraOptions = {}): Promise<TestServer> {
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-apiserver-test-'));
  const etcdPrefix = backend === 'etcd' ? (reuse?.etcdPrefix ?? `/skiff-test/apiserver-${process.pid}-${Date.now()}-${++counter}`) : undefined;
  const server = await startApiServer({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    etcdEndpoints: backend === 'etcd' ? [extra.etcdEndpoint ?? testEtcdEndpoint()] : undefined,
    etcdPrefix,
    bookmarkIntervalMs: extra.bookmarkIntervalMs,
    progressIntervalMs: extra.progressIntervalMs ?? 200,
    compactionIntervalMs: extra.compactionIntervalMs ?? 0,
  }).catch((err) => {
    if (!reuse) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  let creds: Credentials;
  try {
    creds = credentialsFrom(server.kubeconfigPath);
  } catch (err) {
    await server.close();
    if (!reuse) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const ts: TestServer = {
    server, creds, dataDir, backend, etcdPrefix,
    restart: () => startTestServer(backend, { dataDir, etcdPrefix }, extra),
    stop: () => server.close(),
    cleanup: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return ts;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface RequestOptions {
  contentType?: string | null;
  accept?: string;
  anonymous?: boolean;
  token?: string;
}

/** One HTTPS request with the admin certificate (or none, or a bearer token). */
export function call(creds: Credentials, method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (opts.contentType !== null) headers['Content-Type'] = opts.contentType ?? 'application/json';
      // Node sends DELETE bodies unframed unless told the length.
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const anon = opts.anonymous || opts.token;
    const req = https.request(`${creds.server}${path}`, {
      method, headers, ca: creds.ca, cert: anon ? undefined : creds.cert, key: anon ? undefined : creds.key,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchEventLine {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

export interface OpenWatch {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: WatchEventLine[];
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch and collects its events as they arrive; resolves once headers are in. */
export function openWatch(creds: Credentials, path: string, accept = 'application/json'): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${creds.server}${path}`, { method: 'GET', headers: { Accept: accept }, ca: creds.ca, cert: creds.cert, key: creds.key }, (res) => {
      const events: WatchEventLine[] = [];
      let buf = '';
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => { endResolve = r; });
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
      });
      res.on('end', endResolve);
      res.on('close', endResolve);
      res.on('error', endResolve);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, events, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A ConfigMap body. */
export function configMap(name: string, labels: Record<string, string> = {}, data: Record<string, string> = { k: 'v' }) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

/** A minimal valid Pod body. */
export function pod(name: string, extra: { nodeName?: string; labels?: Record<string, string>; finalizers?: string[]; grace?: number } = {}) {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: extra.labels ?? {}, ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
    spec: {
      containers: [{ name: 'c', image: 'busybox' }],
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
    },
  };
}

/** A minimal valid Deployment body. */
export function deployment(name: string, replicas = 1) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
    },
  };
}

/** Creates a namespace of its own for one test. */
export async function createNamespace(creds: Credentials, name: string): Promise<void> {
  const r = await call(creds, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (r.status !== 201) throw new Error(`create namespace ${name}: ${r.status} ${r.text}`);
}
