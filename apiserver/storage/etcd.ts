// The etcd backend: the storage interface mapped one to one onto etcd's KV and Watch APIs, the
// way kube-apiserver's storage/etcd3 does. Revisions are etcd's own; create and the
// compare-and-swap writes are single transactions; a watch is an etcd watch stream from
// afterRevision+1 with prevKV, resumed from the last delivered revision after a disconnect.
//
// It talks to etcd through the `etcd3` package's raw gRPC clients (kv, watchClient) rather
// than its high-level builders: those hide the watch response's compact_revision and cannot
// send progress requests, both of which the API server needs (410 Gone, bookmarks).
import { createRequire } from 'node:module';
import type { Etcd3, IKeyValue, IWatchResponse, IDuplexStream, IWatchRequest } from 'etcd3';

// etcd3 (with gRPC and cockatiel) costs ~17 MB of resident memory once loaded; a server on
// SQLite never needs it, so it is required (both are CommonJS) only when etcd is opened.
const requireCjs = createRequire(import.meta.url);
let etcdModules: { etcd3: typeof import('etcd3'); cockatiel: typeof import('cockatiel') } | undefined;
function loadEtcd3(): NonNullable<typeof etcdModules> {
  etcdModules ??= { etcd3: requireCjs('etcd3'), cockatiel: requireCjs('cockatiel') };
  return etcdModules;
}
import { prefixEnd } from './key-range.js';
import {
  CompactedError, KeyExistsError, NotFoundError, RevisionMismatchError, StorageError,
  type KeyValue, type ListOptions, type ListResult, type Storage, type Watch, type WatchEvent,
  type WatchOptions,
} from './interface.js';

export interface EtcdStorageOptions {
  /** Client URLs, e.g. ['http://127.0.0.1:2379']. */
  endpoints: string[];
  /** Prepended to every key (and stripped from results), so several stores can share one etcd. */
  prefix?: string;
  /** How often idle watches ask etcd for a progress revision (ms). Default 5000. */
  progressIntervalMs?: number;
  /** How long a connection attempt may take (ms). Default 5000. */
  dialTimeoutMs?: number;
}

const EMPTY = Buffer.alloc(0);
const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';

/** Connects to etcd (lazily: the first call dials). */
export function openEtcdStorage(opts: EtcdStorageOptions): EtcdStorage {
  return new EtcdStorage(opts);
}

/** Storage over an etcd v3 cluster. */
export class EtcdStorage implements Storage {
  readonly name = 'etcd';
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly progressIntervalMs: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  constructor(opts: EtcdStorageOptions) {
    if (opts.endpoints.length === 0) throw new StorageError('open etcd storage: no endpoints given (--etcd-endpoints)');
    const { etcd3, cockatiel } = loadEtcd3();
    this.client = new etcd3.Etcd3({
      hosts: opts.endpoints,
      dialTimeout: opts.dialTimeoutMs ?? 5000,
      // etcd3 retries every failed call three times by default. A write whose reply was lost
      // may already be committed, and repeating it would report a false conflict (our own
      // create as "already exists"), so only reads are retried (read()); a failed write
      // surfaces and the API client retries it knowingly.
      faultHandling: { global: cockatiel.noop },
      // A list of a few thousand objects passes gRPC's default 4 MiB reply limit; like
      // kube-apiserver, accept replies of any size etcd sends.
      grpcOptions: { 'grpc.max_receive_message_length': 2 ** 31 - 1 },
    });
    this.prefix = opts.prefix ?? '';
    this.progressIntervalMs = opts.progressIntervalMs ?? 5000;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.read('get', key, () => this.client.kv.range({ key: this.encode(key) }));
    return res.kvs[0] ? this.decode(res.kvs[0]) : undefined;
  }

  async list(opts: ListOptions): Promise<ListResult> {
    const from = opts.startKey !== undefined && opts.startKey > opts.prefix ? opts.startKey : opts.prefix;
    const res = await this.read('list', opts.prefix, () => this.client.kv.range({
      key: this.encode(from),
      range_end: this.rangeEnd(opts.prefix),
      revision: opts.revision && opts.revision > 0 ? opts.revision : 0,
      limit: opts.limit && opts.limit > 0 ? opts.limit : 0,
    }), opts.revision);
    return {
      items: res.kvs.map((kv) => this.decode(kv)),
      // etcd's header carries the current revision; a read at an older one happened there.
      revision: opts.revision && opts.revision > 0 ? opts.revision : Number(res.header.revision),
      more: res.more,
    };
  }

  async create(key: string, value: Buffer): Promise<number> {
    const k = this.encode(key);
    const res = await this.call('create', key, () => this.client.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value } }],
      failure: [],
    }));
    if (!res.succeeded) throw new KeyExistsError(key);
    return Number(res.header.revision);
  }

  async update(key: string, value: Buffer, expectedRevision: number): Promise<number> {
    return this.swap('update', key, expectedRevision, { request_put: { key: this.encode(key), value } });
  }

  async delete(key: string, expectedRevision: number): Promise<number> {
    return this.swap('delete', key, expectedRevision, { request_delete_range: { key: this.encode(key) } });
  }

  watch(opts: WatchOptions): Watch {
    if (this.closed) throw new StorageError('watch etcd storage: it has been closed');
    const watch = new EtcdWatch(this, opts, this.progressIntervalMs, () => this.watches.delete(watch));
    this.watches.add(watch);
    return watch;
  }

  async currentRevision(): Promise<number> {
    const res = await this.read('read revision of', this.prefix || '/', () =>
      // Any single-key read returns the store revision in its header; etcd refuses an empty key.
      this.client.kv.range({ key: this.encode('\0'), count_only: true }));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.call('compact', `revision ${revision}`, () => this.client.kv.compact({ revision, physical: true }));
    } catch (err) {
      // Compacting to an already compacted revision is a no-op, as in the SQLite backend.
      if (err instanceof CompactedError) return;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.cancel();
    this.client.close();
  }

  /** The revision etcd has been compacted to, learned the only way etcd tells it: a watch from revision 1. */
  async compactedRevision(): Promise<number> {
    const stream = await this.client.watchClient.watch();
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => resolve(0), 2000);
        stream.on('data', (res: IWatchResponse) => {
          if (res.compact_revision !== '0' || res.canceled) {
            clearTimeout(timer);
            resolve(Number(res.compact_revision));
          }
        });
        stream.on('error', (err: Error) => { clearTimeout(timer); reject(err); });
        // A key nobody writes: the only response besides 'created' is the compaction notice.
        stream.write({ create_request: { key: Buffer.from('\0skiff-compaction-probe'), start_revision: 1 } });
      });
    } finally {
      closeStream(stream);
    }
  }

  /** @internal The raw watch stream, for EtcdWatch. */
  openWatchStream(): Promise<IDuplexStream<IWatchRequest, IWatchResponse>> {
    return this.client.watchClient.watch();
  }

  /** @internal */
  encode(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  /** @internal Key range end for a prefix (in etcd's byte space, including our own prefix). */
  rangeEnd(prefix: string): Buffer {
    const end = prefixEnd(this.prefix + prefix);
    // No end: every key from the start ("\0" means "to the end of the key space" in etcd).
    return end === undefined ? Buffer.from([0]) : Buffer.from(end);
  }

  /** @internal */
  decode(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.toString('utf8').slice(this.prefix.length),
      value: kv.value ?? EMPTY,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  private async swap(op: 'update' | 'delete', key: string, expected: number, request: object): Promise<number> {
    const k = this.encode(key);
    // etcd compares an absent key's mod_revision as 0, so "expected 0" would match an absent
    // key; -1 matches nothing and the failure branch reports what is there.
    const compareTo = expected > 0 ? expected : -1;
    const res = await this.call(op, key, () => this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: compareTo }],
      success: [request],
      failure: [{ request_range: { key: k } }],
    }));
    if (res.succeeded) return Number(res.header.revision);
    const current = res.responses[0]?.response_range?.kvs[0];
    if (!current) throw new NotFoundError(key);
    throw new RevisionMismatchError(key, expected, this.decode(current));
  }

  // Reads are idempotent: retry them over a brief etcd hiccup (leader change, reconnect).
  private async read<T>(op: string, what: string, fn: () => Promise<T>, revision?: number): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(op, what, fn, revision);
      } catch (err) {
        const cause = (err as Error).cause;
        if (attempt >= 3 || !(cause instanceof Error) || !loadEtcd3().etcd3.isRecoverableError(cause) || this.closed) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  private async call<T>(op: string, what: string, fn: () => Promise<T>, revision?: number): Promise<T> {
    if (this.closed) throw new StorageError(`${op} ${what}: etcd storage has been closed`);
    try {
      return await fn();
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (message.includes(COMPACTED)) {
        throw new CompactedError(revision ?? 0, await this.compactedRevision().catch(() => 0));
      }
      if (message.includes(FUTURE)) {
        throw new StorageError(`${op} ${what}: revision ${revision ?? ''} is in the future`, { cause: err });
      }
      throw new StorageError(`${op} ${what} in etcd: ${message}`, { cause: err });
    }
  }
}

// One etcd watch stream per storage watch. gRPC multiplexes the streams over one connection,
// and the API server's watch cache keeps their number to one per resource.
class EtcdWatch implements Watch {
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  private lastRevision: number;
  private cancelled = false;
  private progressTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = 100;

  constructor(
    private readonly storage: EtcdStorage,
    private readonly opts: WatchOptions,
    private readonly progressIntervalMs: number,
    private readonly onCancel: () => void,
  ) {
    this.lastRevision = opts.afterRevision;
    void this.connect();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    clearInterval(this.progressTimer);
    clearTimeout(this.retryTimer);
    if (this.stream) closeStream(this.stream);
    this.stream = undefined;
    this.onCancel();
  }

  private async connect(): Promise<void> {
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.storage.openWatchStream();
    } catch (err) {
      this.reconnect(err as Error);
      return;
    }
    if (this.cancelled) {
      closeStream(stream);
      return;
    }
    this.stream = stream;
    stream.on('data', (res: IWatchResponse) => this.handle(stream, res));
    stream.on('error', (err: Error) => this.reconnect(err, stream));
    stream.on('end', () => this.reconnect(new Error('watch stream ended'), stream));
    stream.write({
      create_request: {
        key: this.storage.encode(this.opts.prefix),
        range_end: this.storage.rangeEnd(this.opts.prefix),
        // One revision early on purpose: etcd accepts a watch starting exactly at its compacted
        // revision but has already dropped a delete at that revision, which would be a silent
        // gap. Starting at lastRevision makes etcd refuse that case (CompactedError) as the
        // SQLite backend does; the extra event at lastRevision is filtered out in handle().
        // (0 would mean "from now" to etcd.)
        start_revision: Math.max(this.lastRevision, 1),
        prev_kv: true,
        progress_notify: true,
      },
    });
  }

  private handle(stream: IDuplexStream<IWatchRequest, IWatchResponse>, res: IWatchResponse): void {
    if (this.cancelled || stream !== this.stream) return;
    if (res.compact_revision && res.compact_revision !== '0') {
      this.fail(new CompactedError(this.lastRevision, Number(res.compact_revision)));
      return;
    }
    if (res.canceled) {
      this.fail(new StorageError(`watch ${this.opts.prefix} in etcd: cancelled by etcd: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    if (res.created) {
      this.backoffMs = 100;
      clearInterval(this.progressTimer);
      // Ask for a progress revision on a timer: etcd's own progress_notify interval is 10
      // minutes by default, too slow for bookmarks.
      this.progressTimer = setInterval(() => this.stream?.write({ progress_request: {} }), this.progressIntervalMs);
      this.progressTimer.unref();
      return;
    }
    if (res.events.length === 0) {
      // A progress notification: every event up to header.revision has been sent.
      const revision = Number(res.header.revision);
      if (revision > this.lastRevision) this.lastRevision = revision;
      this.call(() => this.opts.onProgress?.(revision));
      return;
    }
    const events = res.events
      .map((e) => this.toEvent(e.type, e.kv, e.prev_kv))
      .filter((e) => e.kv.modRevision > this.lastRevision);
    if (events.length === 0) return;
    this.lastRevision = events[events.length - 1].kv.modRevision;
    this.call(() => this.opts.onEvents(events));
  }

  private toEvent(type: string, kv: IKeyValue, prev: IKeyValue | undefined): WatchEvent {
    const prevKv = prev ? this.storage.decode(prev) : undefined;
    const decoded = this.storage.decode(kv);
    if (type === 'Delete') {
      return {
        type: 'delete',
        kv: { ...decoded, value: EMPTY, createRevision: prevKv?.createRevision ?? decoded.createRevision },
        prevKv,
        created: false,
      };
    }
    return { type: 'put', kv: decoded, prevKv, created: decoded.createRevision === decoded.modRevision };
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (this.cancelled) return;
    this.cancel();
    this.opts.onError(err);
  }

  // The stream broke (etcd restarted, network): resume after the last delivered revision, so
  // the watcher sees neither a gap nor a repeat. A compaction meanwhile ends it with CompactedError.
  private reconnect(err: Error, stream?: IDuplexStream<IWatchRequest, IWatchResponse>): void {
    if (this.cancelled || (stream && stream !== this.stream)) return;
    this.stream = undefined;
    clearInterval(this.progressTimer);
    if (this.retryTimer) return;
    void err;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
  }
}

// Ending our side before cancelling keeps etcd3 from counting the cancellation as a host
// failure: it marks a host failed on a stream error only while the stream is writable, and
// three such marks open its circuit breaker, stalling every call to that host for 5 seconds.
function closeStream(stream: IDuplexStream<IWatchRequest, IWatchResponse>): void {
  stream.end();
  stream.cancel();
}
