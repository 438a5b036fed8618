// Kubeconfig files, read the way kubectl reads them: --kubeconfig, else every file in
// $KUBECONFIG (merged, the first file to set a value wins), else ~/.kube/config; then the
// current context (or the one asked for) picks a cluster, a user and a namespace.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { dump as dumpYaml, load as loadYaml } from 'js-yaml';

/** Everything needed to talk to one API server as one user. */
export interface ClusterConnection {
  /** Base URL, e.g. https://127.0.0.1:6443 */
  server: string;
  /** PEM CA bundle the server's certificate must chain to. */
  ca?: string;
  insecureSkipTLSVerify?: boolean;
  /** SNI / verification name when it differs from the host in `server`. */
  tlsServerName?: string;
  /** Bearer token. */
  token?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  /** Basic auth, for completeness; Skiff's API server does not accept it. */
  username?: string;
  password?: string;
  /** The context's namespace, 'default' when it names none. */
  namespace: string;
  /** The context the connection came from ('' when built by hand). */
  context: string;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface RawConfig {
  clusters?: Array<Named<Record<string, unknown>>>;
  users?: Array<Named<Record<string, unknown>>>;
  contexts?: Array<Named<Record<string, unknown>>>;
  'current-context'?: string;
}

interface LoadedFile {
  path: string;
  config: RawConfig;
}

/** The kubeconfig paths kubectl would read, in precedence order. */
export function kubeconfigPaths(opts: { path?: string; env?: NodeJS.ProcessEnv } = {}): string[] {
  if (opts.path) return [opts.path];
  const env = opts.env ?? process.env;
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((p) => p !== '');
  return [join(env.HOME ?? homedir(), '.kube', 'config')];
}

function readFile(path: string, mustExist: boolean): LoadedFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!mustExist && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`read kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
  }
  let config: unknown;
  try {
    config = loadYaml(text) ?? {};
  } catch (err) {
    throw new Error(`parse kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof config !== 'object' || config === null) throw new Error(`parse kubeconfig ${path}: not a YAML mapping`);
  return { path, config: config as RawConfig };
}

function findNamed<T>(files: LoadedFile[], list: 'clusters' | 'users' | 'contexts', name: string): { value: T; file: LoadedFile } | undefined {
  const field = list.slice(0, -1) as 'cluster' | 'user' | 'context';
  for (const file of files) {
    const entry = file.config[list]?.find((e) => e.name === name);
    if (entry) return { value: (entry[field] ?? {}) as T, file };
  }
  return undefined;
}

// Relative file references in a kubeconfig are relative to the file that holds them.
function readReferenced(file: LoadedFile, p: string, what: string): string {
  const full = isAbsolute(p) ? p : join(dirname(file.path), p);
  try {
    return readFileSync(full, 'utf8');
  } catch (err) {
    throw new Error(`read ${what} ${full} named in kubeconfig ${file.path}: ${(err as Error).message}`, { cause: err });
  }
}

const fromBase64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

/**
 * Resolves a connection from kubeconfig files. `path` is --kubeconfig, `context` is --context.
 * Throws with the file and the missing piece named when the config cannot be used.
 */
export function loadKubeconfig(opts: { path?: string; context?: string; env?: NodeJS.ProcessEnv } = {}): ClusterConnection {
  const paths = kubeconfigPaths(opts);
  // An explicit --kubeconfig must exist; entries of $KUBECONFIG may be missing, as kubectl allows.
  const files = paths.map((p) => readFile(p, opts.path !== undefined)).filter((f): f is LoadedFile => f !== undefined);
  const where = paths.join(delimiter);
  if (files.length === 0) throw new Error(`load kubeconfig: no file found at ${where}; pass --kubeconfig or set KUBECONFIG`);
  const contextName = opts.context ?? files.find((f) => f.config['current-context'])?.config['current-context'];
  if (!contextName) throw new Error(`load kubeconfig ${where}: no current-context set; pass --context`);
  const ctx = findNamed<{ cluster?: string; user?: string; namespace?: string }>(files, 'contexts', contextName);
  if (!ctx) throw new Error(`load kubeconfig ${where}: context "${contextName}" not found`);
  const clusterName = ctx.value.cluster ?? '';
  const cluster = findNamed<Record<string, string | boolean>>(files, 'clusters', clusterName);
  if (!cluster) throw new Error(`load kubeconfig ${where}: cluster "${clusterName}" of context "${contextName}" not found`);
  const c = cluster.value;
  if (typeof c.server !== 'string' || c.server === '') {
    throw new Error(`load kubeconfig ${cluster.file.path}: cluster "${clusterName}" has no server`);
  }
  const conn: ClusterConnection = {
    server: c.server.replace(/\/+$/, ''),
    namespace: ctx.value.namespace || 'default',
    context: contextName,
  };
  if (typeof c['certificate-authority-data'] === 'string') conn.ca = fromBase64(c['certificate-authority-data']);
  else if (typeof c['certificate-authority'] === 'string') conn.ca = readReferenced(cluster.file, c['certificate-authority'], 'certificate authority');
  if (c['insecure-skip-tls-verify'] === true) conn.insecureSkipTLSVerify = true;
  if (typeof c['tls-server-name'] === 'string') conn.tlsServerName = c['tls-server-name'];

  const userName = ctx.value.user ?? '';
  const user = userName ? findNamed<Record<string, string>>(files, 'users', userName) : undefined;
  if (userName && !user) throw new Error(`load kubeconfig ${where}: user "${userName}" of context "${contextName}" not found`);
  if (user) {
    const u = user.value;
    if (u.token) conn.token = u.token;
    else if (u['token-file']) conn.token = readReferenced(user.file, u['token-file'], 'token file').trim();
    if (u['client-certificate-data']) conn.cert = fromBase64(u['client-certificate-data']);
    else if (u['client-certificate']) conn.cert = readReferenced(user.file, u['client-certificate'], 'client certificate');
    if (u['client-key-data']) conn.key = fromBase64(u['client-key-data']);
    else if (u['client-key']) conn.key = readReferenced(user.file, u['client-key'], 'client key');
    if (u.username) conn.username = u.username;
    if (u.password) conn.password = u.password;
    if (u.exec || u['auth-provider']) {
      throw new Error(`load kubeconfig ${user.file.path}: user "${userName}" uses an exec/auth-provider plugin, which Skiff does not run; use a token or client certificate`);
    }
  }
  return conn;
}

/** What `renderKubeconfig` needs: one cluster, one user, one context. */
export interface KubeconfigSpec {
  server: string;
  /** PEM CA certificate(s). */
  ca: string;
  /** Context, cluster and user name (kubectl shows it). */
  name: string;
  token?: string;
  cert?: string;
  key?: string;
  namespace?: string;
}

/** A kubeconfig YAML document kubectl accepts, with certificates inlined as *-data fields. */
export function renderKubeconfig(spec: KubeconfigSpec): string {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const user: Record<string, string> = {};
  if (spec.token) user.token = spec.token;
  if (spec.cert) user['client-certificate-data'] = b64(spec.cert);
  if (spec.key) user['client-key-data'] = b64(spec.key);
  const context: Record<string, string> = { cluster: spec.name, user: spec.name };
  if (spec.namespace) context.namespace = spec.namespace;
  return dumpYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.name, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.ca) } }],
    users: [{ name: spec.name, user }],
    contexts: [{ name: spec.name, context }],
    'current-context': spec.name,
    preferences: {},
  });
}
