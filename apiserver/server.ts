// `startApiServer`: opens storage, makes or loads the PKI, creates the system namespaces,
// and serves the Kubernetes API over HTTPS. Every request passes
//   authenticate -> authorize -> route -> (decode -> admission -> storage CAS) -> respond
// and every failure leaves as a Status object.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { ANONYMOUS, ClientCertAuthenticator, TokenAuthenticator, authenticate, type Authenticator, type UserInfo } from './authn.js';
import { PUBLIC_PATHS, authorize, mastersAuthorizer, publicInfoAuthorizer, type Authorizer } from './authz.js';
import { aggregatedContentType, aggregatedDiscovery, legacyCoreVersions, legacyGroup, legacyGroupList, legacyResourceList, negotiateAggregated } from './discovery.js';
import { handleResource, sendJson, type HandlerDeps } from './handlers.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ObjectStore, decodeObject, objectKey } from './object-store.js';
import { groupVersionDocument, openApiRoot } from './openapi.js';
import { ensurePki, type ClusterPki } from './pki.js';
import { parseResourcePath } from './request-info.js';
import { RESOURCES } from './resources.js';
import { ResourceRest } from './rest.js';
import { nodeAuthorizer } from './node-authorizer.js';
import { execTarget, spliceUpgrade, writeRawStatus } from './node-proxy.js';
import { CACERTS_PATH, JOINER, NODE_CREDENTIALS_PATH, ensureJoinToken, issueNodeCredentials, joinAuthorizer } from './node-join.js';
import { DEFAULT_SERVICE_RANGES, ServiceAllocator, type ServiceRanges } from './service-allocator.js';
import { ApiError, forbidden, statusOf, unauthorized } from './status.js';
import { openStorage, startCompactor, type Storage } from './storage/index.js';
import { WatchSource } from './watch-source.js';

export interface ApiServerOptions {
  /** Where the PKI, kubeconfig and (without etcd) state.db live. */
  dataDir: string;
  /** HTTPS port; 0 picks a free one. Default 6443. */
  port?: number;
  /** Address to listen on. Default all interfaces. */
  host?: string;
  /** Put the state in etcd instead of DATA_DIR/state.db. */
  etcdEndpoints?: string[];
  /** Key prefix inside etcd (tests use one per run). */
  etcdPrefix?: string;
  /** Extra authenticators tried after client certificates and tokens (node identities, later). */
  authenticators?: Authenticator[];
  /** Extra authorizers consulted after the built-in ones. */
  authorizers?: Authorizer[];
  /** Bookmark interval for watches that allow them. Default 60 s, as kube. */
  bookmarkIntervalMs?: number;
  /** How often storage reports progress (bookmark source). */
  progressIntervalMs?: number;
  /** How often old revisions are compacted away (kube: 5 minutes); 0 disables. */
  compactionIntervalMs?: number;
  /** Where ClusterIPs and NodePorts come from. Default 10.43.0.0/16 and 30000-32767. */
  serviceRanges?: ServiceRanges;
}

/** A running API server. */
export interface ApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  kubeconfigPath: string;
  pki: ClusterPki;
  storage: Storage;
  /** Static bearer tokens; add identities here. */
  tokens: TokenAuthenticator;
  /** The token `skiff agent --token` joins with (also in DATA_DIR/node-token); see node-join.ts. */
  joinToken: string;
  /** Ends watches, stops listening, closes storage. */
  close(): Promise<void>;
}

/** Namespaces every cluster has from the start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const NAMESPACES_INFO = RESOURCES.find((r) => r.kind === 'Namespace')!;

const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const METHOD_VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

// Written by hand, not through express's send(), which would rewrite the Content-Type
// parameters client-go reads the discovery version from.
function sendDiscovery(res: ServerResponse, v: Parameters<typeof aggregatedContentType>[0], body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': aggregatedContentType(v), 'Content-Length': String(Buffer.byteLength(text)), Vary: 'Accept' });
  res.end(text);
}

const SYSTEM_USER: UserInfo = { name: 'system:apiserver', groups: ['system:masters'] };

async function createIfAbsent(rest: ResourceRest, kind: string, namespace: string | undefined, obj: Record<string, unknown>): Promise<void> {
  const info = RESOURCES.find((r) => r.kind === kind)!;
  try {
    await rest.create(info, namespace, obj, { user: SYSTEM_USER, dryRun: false, fieldManager: 'skiff-apiserver', fieldValidation: 'Strict', warnings: [] });
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

async function ensureSystemNamespaces(rest: ResourceRest): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) await createIfAbsent(rest, 'Namespace', undefined, { metadata: { name } });
}

/** The `kubernetes` Service in `default` (first ClusterIP of the range), which in-cluster clients find the API by. */
async function ensureKubernetesService(rest: ResourceRest, clusterIP: string, port: number): Promise<void> {
  await createIfAbsent(rest, 'Service', 'default', {
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  });
}

/** Starts the API server; resolves once it listens and the system namespaces exist. */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const pki = await ensurePki(opts.dataDir);
  const storage = opts.etcdEndpoints?.length
    ? openStorage({ etcdEndpoints: opts.etcdEndpoints, prefix: opts.etcdPrefix, progressIntervalMs: opts.progressIntervalMs })
    : openStorage({ sqlitePath: join(opts.dataDir, 'state.db'), progressIntervalMs: opts.progressIntervalMs });
  const services = new ServiceAllocator(storage, opts.serviceRanges ?? DEFAULT_SERVICE_RANGES);
  const watches = new WatchSource(storage);
  const cachedNamespace = (name: string) => {
    const kv = watches.peek(NAMESPACES_INFO, objectKey(NAMESPACES_INFO, undefined, name));
    return kv ? decodeObject(NAMESPACES_INFO, kv) : undefined;
  };
  const rest = new ResourceRest(new ObjectStore(storage), services, cachedNamespace);
  await ensureSystemNamespaces(rest);
  const compactionInterval = opts.compactionIntervalMs ?? 5 * 60_000;
  const compactor = compactionInterval > 0
    ? startCompactor(storage, { intervalMs: compactionInterval, onError: (err) => console.error(`skiff apiserver: compact storage: ${err.message}`) })
    : undefined;

  const tokens = new TokenAuthenticator();
  const joinToken = ensureJoinToken(opts.dataDir, pki.ca.cert);
  tokens.add(joinToken, JOINER);
  const authenticators: Authenticator[] = [new ClientCertAuthenticator(), tokens, ...(opts.authenticators ?? [])];
  const authorizers: Authorizer[] = [mastersAuthorizer, publicInfoAuthorizer, nodeAuthorizer, joinAuthorizer, ...(opts.authorizers ?? [])];
  const runningWatches = new Set<() => void>();
  const deps: HandlerDeps = {
    rest,
    watches,
    agentClient: pki.agentClient,
    watchSettings: { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, defaultTimeoutSeconds: 1800 },
    trackWatch: (stop) => {
      runningWatches.add(stop);
      return () => runningWatches.delete(stop);
    },
  };
  let ready = false;
  let port = 0;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // Authentication and authorization, before any body is read.
  app.use((req, res, next) => {
    void (async () => {
      const hasCredentials = Boolean(req.headers.authorization) || (req.socket as unknown as { authorized?: boolean }).authorized;
      const user = (await authenticate(authenticators, req)) ?? (req.headers.authorization ? undefined : ANONYMOUS);
      if (!user) throw unauthorized();
      const path = req.path;
      const verb = METHOD_VERBS[req.method] ?? req.method.toLowerCase();
      const r = parseResourcePath(path);
      const allowed = authorize(authorizers, {
        user, verb, path,
        resource: r ? { group: r.group, resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: r.name } : undefined,
      });
      if (!allowed) {
        if (user === ANONYMOUS && !hasCredentials) throw unauthorized();
        throw forbidden(`User "${user.name}" cannot ${verb} ${r ? `resource "${r.resource}"` : `path "${path}"`}${r?.namespace ? ` in the namespace "${r.namespace}"` : ''}`);
      }
      res.locals.user = user;
      next();
    })().catch(next);
  });

  app.get(['/readyz', '/livez', '/healthz'], (_req, res) => {
    res.status(ready ? 200 : 503).type('text/plain').send(ready ? 'ok' : 'not ready');
  });
  app.get('/version', (_req, res) => sendJson(res, 200, VERSION_INFO));
  app.get(CACERTS_PATH, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/x-pem-file' });
    res.end(pki.ca.cert);
  });
  app.post(NODE_CREDENTIALS_PATH, express.json({ limit: '64kb' }), (req, res, next) => {
    issueNodeCredentials(pki.ca, req.body).then((creds) => sendJson(res, 201, creds), next);
  });

  app.get('/api', (req, res) => {
    const v = negotiateAggregated(req.headers.accept);
    if (v) return sendDiscovery(res, v, aggregatedDiscovery(true, v));
    sendJson(res, 200, legacyCoreVersions(`${req.socket.localAddress}:${port}`));
  });
  app.get('/apis', (req, res) => {
    const v = negotiateAggregated(req.headers.accept);
    if (v) return sendDiscovery(res, v, aggregatedDiscovery(false, v));
    sendJson(res, 200, legacyGroupList());
  });
  app.get('/api/:version', (req, res, next) => {
    const list = legacyResourceList('', req.params.version);
    if (!list) return next();
    sendJson(res, 200, list);
  });
  app.get('/apis/:group', (req, res, next) => {
    const g = legacyGroup(req.params.group);
    if (!g) return next();
    sendJson(res, 200, g);
  });
  app.get('/apis/:group/:version', (req, res, next) => {
    const list = legacyResourceList(req.params.group, req.params.version);
    if (!list) return next();
    sendJson(res, 200, list);
  });
  app.get('/openapi/v3', (_req, res) => sendJson(res, 200, openApiRoot()));
  app.get('/openapi/v3/*rest', (req, res, next) => {
    const doc = groupVersionDocument(req.path.slice('/openapi/v3/'.length));
    if (!doc) return next();
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', req.query.hash === doc.hash ? 'public, immutable' : 'no-cache, private');
    res.setHeader('Etag', `"${doc.hash}"`);
    res.status(200).send(doc.body);
  });

  // Resource requests: the body is read raw (JSON, YAML or a patch; kubectl's PUT /scale
  // sends no Content-Type at all, P7) and decoded by the handler.
  app.use(['/api', '/apis'], express.raw({ type: () => true, limit: '16mb' }), (req, res, next) => {
    const r = parseResourcePath(req.originalUrl.split('?')[0]!);
    if (!r) return next();
    const query = new URL(req.originalUrl, 'https://localhost').searchParams;
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    handleResource(deps, r, { req, res, user: res.locals.user as UserInfo, query, body }).catch(next);
  });

  app.use((req, res) => {
    sendJson(res, 404, new ApiError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.path})`).toStatus());
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    let status = statusOf(err);
    if (!(err instanceof ApiError) && e.type === 'entity.too.large') status = new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large (limit 16 MiB)').toStatus();
    if (status.code === 500) console.error(`skiff apiserver: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, status.code, status);
  });

  const server: Server = createServer({
    cert: pki.serving.cert,
    key: pki.serving.key,
    ca: pki.ca.cert,
    // Ask for a client certificate but let token and anonymous callers through; the
    // authenticator decides from socket.authorized.
    requestCert: true,
    rejectUnauthorized: false,
  }, app as unknown as (req: IncomingMessage, res: ServerResponse) => void);
  server.keepAliveTimeout = 65_000;
  // pods/exec: kubectl >= 1.30 upgrades to a WebSocket (v5.channel.k8s.io); express never sees
  // upgrades, so authentication and authorization run here too before the splice to the agent.
  const PODS = RESOURCES.find((x) => x.kind === 'Pod')!;
  const NODES = RESOURCES.find((x) => x.kind === 'Node')!;
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const r = parseResourcePath(path);
      if (!r || r.group !== '' || r.resource !== 'pods' || r.subresource !== 'exec' || !r.name || !r.namespace) {
        throw new ApiError(404, 'NotFound', `the server could not find the requested resource (upgrade of ${path}); only pods/exec upgrades`);
      }
      const user = await authenticate(authenticators, req);
      if (!user) throw unauthorized();
      const resource = { group: '', resource: 'pods', subresource: 'exec', namespace: r.namespace, name: r.name };
      if (!authorize(authorizers, { user, verb: 'create', path, resource })) {
        throw forbidden(`User "${user.name}" cannot create resource "pods/exec" in the namespace "${r.namespace}"`);
      }
      const query = new URL(req.url ?? '/', 'https://localhost').searchParams;
      const pod = await rest.get(PODS, r.namespace, r.name);
      const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      const node = nodeName ? await rest.store.tryGet(NODES, undefined, nodeName) : undefined;
      spliceUpgrade(socket, head, req.headers, execTarget(pod, node, query), pki.agentClient);
    })().catch((err) => writeRawStatus(socket, err));
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 6443, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;
  try {
    await ensureKubernetesService(rest, services.firstIp(), port);
  } catch (err) {
    server.close();
    compactor?.stop();
    await storage.close();
    throw err;
  }
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigPath = join(opts.dataDir, 'kubeconfig.yaml');
  writeKubeconfig(kubeconfigPath, url, pki.ca.cert, pki.admin);
  ready = true;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      for (const stop of [...runningWatches]) stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still running after a grace period are cut off.
        setTimeout(() => { for (const s of sockets) s.destroy(); }, 2000).unref();
      });
      compactor?.stop();
      await watches.close();
      await storage.close();
    })();
    return closing;
  };
  return { url, port, kubeconfigPath, pki, storage, tokens, joinToken, close };
}

export { PUBLIC_PATHS };
