// The typed client: Kubernetes REST over HTTPS (node:https, one keep-alive agent per client),
// authenticated with the kubeconfig's CA, bearer token or client certificate. Every request
// is derived from the resource table, so `client.resource('Deployment')` knows its path,
// scope and subresources. Failures are ApiErrors carrying the server's Status.

import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { startExec, type ExecOptions, type ExecResult, type ExecSession } from './exec.js';
import { loadKubeconfig, type ClusterConnection } from './kubeconfig.js';
import { findByApiVersionKind, findByKind, qualifiedResource, resourcePath, type ResourceType } from './resources.js';
import type {
  DeleteOptions,
  KindTypes,
  KubeList,
  KubeObject,
  Scale,
  ServedKind,
  Status,
  StatusCause,
  WatchEvent,
} from './types.js';

/** A request the API server refused, with the Kubernetes Status it answered. */
export class ApiError extends Error {
  /** HTTP status code (404, 409, 410, 422, ...). */
  readonly code: number;
  /** Status reason: 'NotFound', 'AlreadyExists', 'Conflict', 'Invalid', 'Expired', ... */
  readonly reason: string;
  /** The Status object as the server sent it (or one built from a non-Status reply). */
  readonly status: Status;

  constructor(what: string, status: Status) {
    super(`${what}: ${status.message ?? status.reason ?? `HTTP ${status.code}`}`);
    this.name = 'ApiError';
    this.code = status.code ?? 0;
    this.reason = status.reason ?? '';
    this.status = status;
  }

  /** Field causes of a 422 Invalid (or a 400 strict-decoding error). */
  get causes(): StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

/** True for an ApiError with the given reason (or HTTP code). */
export function isApiError(err: unknown, reasonOrCode?: string | number): err is ApiError {
  if (!(err instanceof ApiError)) return false;
  if (reasonOrCode === undefined) return true;
  return typeof reasonOrCode === 'number' ? err.code === reasonOrCode : err.reason === reasonOrCode;
}

/** True when the object was not there (404). */
export const isNotFound = (err: unknown): boolean => isApiError(err, 404);
/** True for a resourceVersion conflict or an existing name (409). */
export const isConflict = (err: unknown): boolean => isApiError(err, 409);
/** True when a watch or list resourceVersion is too old (410 Expired/Gone). */
export const isExpired = (err: unknown): boolean => isApiError(err, 410);

/** Query of a LIST: scope, selectors, paging and the resourceVersion semantics of Kubernetes. */
export interface ListOptions {
  /** Omit (or '') for all namespaces of a namespaced type. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** '0' lets the server answer from its cache; unset means a consistent (quorum) read. */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

/** Query of a WATCH. */
export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version; '0' or unset: synthetic ADDED events for current state first. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long. */
  timeoutSeconds?: number;
  /** Aborting ends the iteration cleanly (no error). */
  signal?: AbortSignal;
}

/** Query parameters every write accepts. */
export interface WriteOptions {
  /** 'All' runs the request without persisting it. */
  dryRun?: 'All';
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  signal?: AbortSignal;
}

/** The four patch bodies Kubernetes accepts (merge: RFC 7386, json: RFC 6902, apply: server-side apply). */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

/** A PATCH: its type, server-side apply's force, and an optional subresource. */
export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /** Patch a subresource ('status', 'scale') instead of the object. */
  subresource?: string;
}

/** Query of pods/log, as `kubectl logs` sends it. */
export interface LogOptions {
  container?: string;
  follow?: boolean;
  tailLines?: number;
  timestamps?: boolean;
  previous?: boolean;
  sinceSeconds?: number;
  signal?: AbortSignal;
}

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

type Query = Record<string, string | number | boolean | undefined>;

interface RawRequest {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** What the request is doing, for error messages: 'get pods "default/web"'. */
  what: string;
}

/** Options for a client beyond its connection. */
export interface ClientOptions {
  userAgent?: string;
  /** Per-request timeout for non-streaming calls (default 60 s). */
  timeoutMs?: number;
  /** Concurrent connections for non-streaming calls (default 32); more requests wait their turn. */
  maxSockets?: number;
}

/** A client for one API server and one identity. Cheap to share; reuses connections. */
export class KubeClient {
  readonly connection: ClusterConnection;
  /** Short requests share a bounded pool, so a burst queues instead of opening 1000 TLS connections. */
  private readonly agent: http.Agent;
  /** Watches and log streams hold a connection for minutes; they get their own, unbounded pool. */
  private readonly streamAgent: http.Agent;
  private readonly base: URL;
  private readonly userAgent: string;
  private readonly timeoutMs: number;

  constructor(connection: ClusterConnection, options: ClientOptions = {}) {
    this.connection = connection;
    this.base = new URL(connection.server);
    this.userAgent = options.userAgent ?? 'skiff/0.1.0';
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.agent = this.makeAgent(options.maxSockets ?? 32);
    this.streamAgent = this.makeAgent(Infinity);
  }

  private makeAgent(maxSockets: number): http.Agent {
    if (this.base.protocol !== 'https:') return new http.Agent({ keepAlive: true, maxSockets });
    return new https.Agent({
      keepAlive: true,
      maxSockets,
      ca: this.connection.ca,
      cert: this.connection.cert,
      key: this.connection.key,
      rejectUnauthorized: !this.connection.insecureSkipTLSVerify,
      servername: this.connection.tlsServerName,
    });
  }

  /** A client from kubeconfig (`--kubeconfig` path, `--context`), as kubectl resolves it. */
  static fromKubeconfig(opts: { path?: string; context?: string } = {}, options?: ClientOptions): KubeClient {
    return new KubeClient(loadKubeconfig(opts), options);
  }

  /** Closes the client's connections; open watches and log streams end. */
  close(): void {
    this.agent.destroy();
    this.streamAgent.destroy();
  }

  /** The typed client for one kind: `client.resource('Pod').get({ namespace, name })`. */
  resource<K extends ServedKind>(kind: K): ResourceClient<KindTypes[K]>;
  resource<T extends KubeObject = KubeObject>(type: ResourceType): ResourceClient<T>;
  resource(kindOrType: string | ResourceType): ResourceClient<KubeObject> {
    const rt = typeof kindOrType === 'string' ? findByKind(kindOrType) : kindOrType;
    if (!rt) throw new Error(`client for kind ${String(kindOrType)}: not a kind Skiff serves`);
    return new ResourceClient(this, rt);
  }

  /** The typed client for an object's own kind (from its apiVersion and kind). */
  resourceFor<T extends KubeObject>(obj: T): ResourceClient<T> {
    const rt = obj.apiVersion && obj.kind ? findByApiVersionKind(obj.apiVersion, obj.kind) : undefined;
    if (!rt) throw new Error(`client for ${obj.apiVersion ?? '<no apiVersion>'}/${obj.kind ?? '<no kind>'}: not a kind Skiff serves`);
    return new ResourceClient<T>(this, rt);
  }

  private url(path: string, query?: Query): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    return url;
  }

  private headers(req: RawRequest, body?: Buffer): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = {
      Accept: req.accept ?? 'application/json',
      'User-Agent': this.userAgent,
    };
    if (this.connection.token) headers.Authorization = `Bearer ${this.connection.token}`;
    else if (this.connection.username) {
      headers.Authorization = `Basic ${Buffer.from(`${this.connection.username}:${this.connection.password ?? ''}`).toString('base64')}`;
    }
    if (body) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    return headers;
  }

  /**
   * Sends a request and returns the response stream once headers arrive (on the streaming
   * pool unless `agent` says otherwise). Non-2xx answers are read and thrown as ApiError.
   * The caller owns the returned stream.
   */
  async stream(req: RawRequest, agent: http.Agent = this.streamAgent): Promise<http.IncomingMessage> {
    const url = this.url(req.path, req.query);
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const transport = url.protocol === 'https:' ? https : http;
    const send = (): Promise<http.IncomingMessage> =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const r = transport.request(url, { method: req.method, agent, headers: this.headers(req, body), signal: req.signal }, resolve);
        r.on('error', (err: NodeJS.ErrnoException) => {
          if (err.name === 'AbortError') reject(err);
          // A kept-alive socket the server closed as we reused it: safe to resend a GET once,
          // as Go's transport does for idempotent requests.
          else if (r.reusedSocket && err.code === 'ECONNRESET' && req.method === 'GET') reject(new RetryableReset());
          else reject(new Error(`${req.what}: cannot reach API server ${this.connection.server}: ${err.message}`, { cause: err }));
        });
        r.end(body);
      });
    let res: http.IncomingMessage;
    try {
      res = await send();
    } catch (err) {
      if (!(err instanceof RetryableReset)) throw err;
      res = await send().catch((e: unknown) => {
        if (e instanceof RetryableReset) throw new Error(`${req.what}: API server ${this.connection.server} reset the connection twice`);
        throw e;
      });
    }
    const code = res.statusCode ?? 0;
    if (code >= 200 && code < 300) return res;
    const text = await readAll(res);
    throw new ApiError(req.what, statusFromResponse(code, text));
  }

  /** Sends a request and parses the JSON reply. */
  async request<T>(req: RawRequest): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, controller.signal]) : controller.signal;
    try {
      const res = await this.stream({ ...req, signal }, this.agent);
      const text = await readAll(res);
      return (text === '' ? {} : JSON.parse(text)) as T;
    } catch (err) {
      if (controller.signal.aborted && !req.signal?.aborted) {
        throw new Error(`${req.what}: no answer from ${this.connection.server} within ${this.timeoutMs} ms`, { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Streams watch events (one JSON object per line). ERROR events are yielded as they come
   * (their object is a Status; 410 means re-list). Ends when the server closes the watch,
   * at timeoutSeconds, or when `signal` aborts.
   */
  async *watchPath<T extends KubeObject>(path: string, query: Query, what: string, signal?: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    let res: http.IncomingMessage;
    try {
      res = await this.stream({ method: 'GET', path, query: { ...query, watch: 'true' }, signal, what });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    // A connection that dies without a reset would otherwise hang the watch forever: allow
    // the server's own timeout plus a minute of silence, then treat the stream as broken.
    const timeoutSeconds = Number(query.timeoutSeconds ?? 1800);
    res.setTimeout((timeoutSeconds + 60) * 1000, () => res.destroy(new Error(`no data for ${timeoutSeconds + 60} s`)));
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    const iterator = lines[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<string>;
        try {
          next = await iterator.next();
        } catch (err) {
          if (signal?.aborted) return;
          // A connection cut mid-stream surfaces here; callers (the informer) re-watch.
          throw new Error(`${what}: watch stream broke: ${(err as Error).message}`, { cause: err });
        }
        if (next.done) return;
        const line = next.value;
        if (line.trim() === '') continue;
        let event: WatchEvent<T>;
        try {
          event = JSON.parse(line) as WatchEvent<T>;
        } catch (err) {
          throw new Error(`${what}: server sent a watch line that is not JSON: ${line.slice(0, 200)}`, { cause: err });
        }
        yield event;
      }
    } finally {
      lines.close();
      res.destroy();
    }
  }
}

/** Operations on one resource type; `T` is its object type. */
export class ResourceClient<T extends KubeObject> {
  constructor(
    readonly client: KubeClient,
    readonly type: ResourceType,
  ) {}

  private describe(verb: string, key?: { namespace?: string; name?: string }): string {
    const res = qualifiedResource(this.type);
    if (!key?.name) return key?.namespace && this.type.namespaced ? `${verb} ${res} in namespace "${key.namespace}"` : `${verb} ${res}`;
    const id = this.type.namespaced && key.namespace ? `${key.namespace}/${key.name}` : key.name;
    return `${verb} ${res} "${id}"`;
  }

  private keyOf(obj: KubeObject): { namespace?: string; name: string } {
    const name = obj.metadata?.name;
    if (!name) throw new Error(`${this.describe('write')}: object has no metadata.name`);
    return { namespace: obj.metadata?.namespace, name };
  }

  private requireNamespace(namespace: string | undefined, verb: string): void {
    if (this.type.namespaced && !namespace) {
      throw new Error(`${this.describe(verb)}: namespace required for namespaced type ${this.type.kind}`);
    }
  }

  /** GET one object. */
  get(key: { namespace?: string; name: string }, opts: { resourceVersion?: string; signal?: AbortSignal } = {}): Promise<T> {
    this.requireNamespace(key.namespace, 'get');
    return this.client.request<T>({
      method: 'GET',
      path: resourcePath(this.type, key),
      query: { resourceVersion: opts.resourceVersion },
      signal: opts.signal,
      what: this.describe('get', key),
    });
  }

  /** LIST, one page; follow `metadata.continue` for more (or use listAll). */
  async list(opts: ListOptions = {}): Promise<KubeList<T>> {
    const list = await this.client.request<KubeList<T>>({
      method: 'GET',
      path: resourcePath(this.type, { namespace: opts.namespace }),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
      what: this.describe('list', { namespace: opts.namespace }),
    });
    list.items ??= [];
    list.metadata ??= {};
    return list;
  }

  /** LIST every page (pages of `limit`, default 500); returns the items and the first page's resourceVersion. */
  async listAll(opts: Omit<ListOptions, 'continue'> = {}): Promise<KubeList<T>> {
    const first = await this.list({ limit: 500, ...opts });
    const items = [...first.items];
    let cont = first.metadata.continue;
    while (cont) {
      const page = await this.list({ ...opts, limit: opts.limit ?? 500, continue: cont, resourceVersion: undefined });
      items.push(...page.items);
      cont = page.metadata.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  /** POST a new object; its namespace comes from metadata.namespace. */
  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    const namespace = obj.metadata?.namespace;
    this.requireNamespace(namespace, 'create');
    return this.client.request<T>({
      method: 'POST',
      path: resourcePath(this.type, { namespace }),
      query: writeQuery(opts),
      body: withTypeMeta(obj, this.type),
      signal: opts.signal,
      what: this.describe('create', { namespace, name: obj.metadata?.name ?? obj.metadata?.generateName }),
    });
  }

  /** PUT the whole object; metadata.resourceVersion makes it compare-and-swap (409 when stale). */
  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, undefined, opts);
  }

  /** PUT the status subresource: only `status` changes. */
  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(obj, 'status', opts);
  }

  private put(obj: T, subresource: string | undefined, opts: WriteOptions): Promise<T> {
    const key = this.keyOf(obj);
    this.requireNamespace(key.namespace, 'update');
    return this.client.request<T>({
      method: 'PUT',
      path: resourcePath(this.type, { ...key, subresource }),
      query: writeQuery(opts),
      body: withTypeMeta(obj, this.type),
      signal: opts.signal,
      what: this.describe(subresource ? `update ${subresource} of` : 'update', key),
    });
  }

  /**
   * PATCH with one of the four Kubernetes patch types. `apply` is server-side apply: it needs
   * a fieldManager and creates the object when absent.
   */
  patch(key: { namespace?: string; name: string }, patch: unknown, opts: PatchOptions): Promise<T> {
    this.requireNamespace(key.namespace, 'patch');
    if (opts.type === 'apply' && !opts.fieldManager) {
      throw new Error(`${this.describe('apply', key)}: server-side apply needs a fieldManager`);
    }
    return this.client.request<T>({
      method: 'PATCH',
      path: resourcePath(this.type, { ...key, subresource: opts.subresource }),
      query: { ...writeQuery(opts), force: opts.force === undefined ? undefined : String(opts.force) },
      body: patch,
      contentType: patchContentTypes[opts.type],
      signal: opts.signal,
      what: this.describe(opts.subresource ? `patch ${opts.subresource} of` : 'patch', key),
    });
  }

  /**
   * DELETE. Returns the object while graceful deletion or finalizers keep it, or the
   * server's Success Status once it is gone.
   */
  delete(key: { namespace?: string; name: string }, options: DeleteOptions & { signal?: AbortSignal } = {}): Promise<T | Status> {
    this.requireNamespace(key.namespace, 'delete');
    const { signal, ...body } = options;
    return this.client.request<T | Status>({
      method: 'DELETE',
      path: resourcePath(this.type, key),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', ...body },
      signal,
      what: this.describe('delete', key),
    });
  }

  /**
   * DELETE on the collection (deletecollection): every object matching the selectors in the
   * namespace (or everywhere). Returns what the server deleted.
   */
  deleteCollection(
    opts: { namespace?: string; labelSelector?: string; fieldSelector?: string; signal?: AbortSignal } & DeleteOptions = {},
  ): Promise<KubeList<T>> {
    if (!this.type.verbs.includes('deletecollection')) {
      throw new Error(`${this.describe('delete collection of')}: ${this.type.kind} does not support deletecollection`);
    }
    const { namespace, labelSelector, fieldSelector, signal, ...body } = opts;
    return this.client.request<KubeList<T>>({
      method: 'DELETE',
      path: resourcePath(this.type, { namespace }),
      query: { labelSelector, fieldSelector },
      body: { apiVersion: 'v1', kind: 'DeleteOptions', ...body },
      signal,
      what: this.describe('delete collection of', { namespace }),
    });
  }

  /** GET the scale subresource (Deployments, ReplicaSets). */
  getScale(key: { namespace?: string; name: string }): Promise<Scale> {
    this.requireSubresource('scale');
    return this.client.request<Scale>({
      method: 'GET',
      path: resourcePath(this.type, { ...key, subresource: 'scale' }),
      what: this.describe('get scale of', key),
    });
  }

  /** Sets spec.replicas through the scale subresource, as `kubectl scale` does. */
  scale(key: { namespace?: string; name: string }, replicas: number, opts: WriteOptions = {}): Promise<Scale> {
    this.requireSubresource('scale');
    return this.client.request<Scale>({
      method: 'PATCH',
      path: resourcePath(this.type, { ...key, subresource: 'scale' }),
      query: writeQuery(opts),
      body: { spec: { replicas } },
      contentType: patchContentTypes.merge,
      what: this.describe('scale', key),
    });
  }

  /** POST a subresource body (pods/binding). */
  createSubresource<R>(key: { namespace?: string; name: string }, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<R> {
    this.requireSubresource(subresource);
    return this.client.request<R>({
      method: 'POST',
      path: resourcePath(this.type, { ...key, subresource }),
      query: writeQuery(opts),
      body,
      what: this.describe(`create ${subresource} of`, key),
    });
  }

  /** Streams a pod's log (pods/log): text, ending when the container's log does (or never with follow). */
  async logs(key: { namespace?: string; name: string }, opts: LogOptions = {}): Promise<Readable> {
    this.requireSubresource('log');
    return this.client.stream({
      method: 'GET',
      path: resourcePath(this.type, { ...key, subresource: 'log' }),
      query: {
        container: opts.container,
        follow: opts.follow,
        tailLines: opts.tailLines,
        timestamps: opts.timestamps,
        previous: opts.previous,
        sinceSeconds: opts.sinceSeconds,
      },
      accept: 'text/plain, */*',
      signal: opts.signal,
      what: this.describe('get log of', key),
    });
  }

  /** Runs a command in a pod's container (pods/exec over WebSocket v5) and waits for its exit code. */
  async exec(key: { namespace: string; name: string }, opts: ExecOptions): Promise<ExecResult> {
    return (await this.execSession(key, opts)).done;
  }

  /** Starts an exec and returns the session (for terminal resizes); see exec.ts. */
  execSession(key: { namespace: string; name: string }, opts: ExecOptions): Promise<ExecSession> {
    this.requireSubresource('exec');
    return startExec(this.client, this.type, key, opts);
  }

  /** WATCH as an async iterator of events; see KubeClient.watchPath for how it ends. */
  watch(opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    return this.client.watchPath<T>(
      resourcePath(this.type, { namespace: opts.namespace }),
      {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
        timeoutSeconds: opts.timeoutSeconds,
      },
      this.describe('watch', { namespace: opts.namespace }),
      opts.signal,
    );
  }

  private requireSubresource(name: string): void {
    if (!this.type.subresources.some((s) => s.name === name)) {
      throw new Error(`${qualifiedResource(this.type)}/${name}: ${this.type.kind} has no ${name} subresource`);
    }
  }
}

class RetryableReset extends Error {}

function writeQuery(opts: WriteOptions): Query {
  return { dryRun: opts.dryRun, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation };
}

// Fill in apiVersion/kind when a caller left them out (items of a list often lack them).
function withTypeMeta<T extends KubeObject>(obj: T, rt: ResourceType): T {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: rt.group ? `${rt.group}/${rt.version}` : rt.version, kind: rt.kind };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const reasonsByCode: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

// The server's Status when it sent one; otherwise a Status built from the code and body,
// as client-go does for proxies and plain-text errors.
function statusFromResponse(code: number, text: string): Status {
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && parsed.kind === 'Status') return { ...parsed, code: parsed.code ?? code };
  } catch {
    // not JSON: fall through
  }
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code,
    reason: reasonsByCode[code] ?? 'Unknown',
    message: text.trim() || `the server responded with HTTP ${code}`,
  };
}
