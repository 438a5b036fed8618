// The one storage interface both backends implement (kine's backend shape): a flat,
// ordered key space of byte values, each write stamped with a cluster-wide revision.
// Everything Kubernetes-specific (objects, resourceVersion, selectors) lives above it.

/** A stored value and the revisions that describe its history. */
export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision of the write that created this key (etcd create_revision). */
  createRevision: number;
  /** Revision of the latest write to this key (etcd mod_revision); the object's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** Only keys that start with this prefix. */
  prefix: string;
  /** Read the state as of this revision (0 or absent: latest). Older than the compacted revision: CompactedError. */
  revision?: number;
  /** Start at this key (inclusive); used for continue tokens. */
  startKey?: string;
  /** At most this many items; `more` says whether there were others. */
  limit?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The store revision the list was read at. */
  revision: number;
  /** True when `limit` cut the list short. */
  more: boolean;
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For 'put': the new value; for 'delete': the key with modRevision = the delete's revision and an empty value. */
  kv: KeyValue;
  /** The value before this event, when there was one (etcd prevKV). */
  prevKv?: KeyValue;
  /** True for a put that created the key. */
  created: boolean;
}

export interface WatchOptions {
  prefix: string;
  /** Deliver every event with revision > afterRevision, in order, without gaps or duplicates. */
  afterRevision: number;
  /** Called for each batch of events, in revision order. */
  onEvents: (events: WatchEvent[]) => void;
  /** Called once when the watch can no longer continue (CompactedError for a compacted start). */
  onError: (err: Error) => void;
  /** Called periodically with the store's current revision when nothing else happened (for bookmarks). */
  onProgress?: (revision: number) => void;
}

export interface Watch {
  /** Stops delivery; idempotent. */
  cancel(): void;
}

/** The revision-based store: create-if-absent, compare-and-swap update and delete, watch from a revision. */
export interface Storage {
  /** A human name for errors and benchmarks: 'sqlite' or 'etcd'. */
  readonly name: string;
  get(key: string): Promise<KeyValue | undefined>;
  list(opts: ListOptions): Promise<ListResult>;
  /** Creates the key; KeyExistsError when it exists. Resolves to the new revision. */
  create(key: string, value: Buffer): Promise<number>;
  /**
   * Replaces the value only if the key's modRevision equals expectedRevision; otherwise
   * RevisionMismatchError carrying the current value, or NotFoundError when the key is absent.
   * Resolves to the new revision.
   */
  update(key: string, value: Buffer, expectedRevision: number): Promise<number>;
  /** Deletes only if modRevision equals expectedRevision; NotFoundError or RevisionMismatchError otherwise. */
  delete(key: string, expectedRevision: number): Promise<number>;
  watch(opts: WatchOptions): Watch;
  /** The store's current revision. */
  currentRevision(): Promise<number>;
  /** Forgets history at or below revision; later reads/watches at those revisions get CompactedError. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class StorageError extends Error {}

/** The key already exists (create). */
export class KeyExistsError extends StorageError {
  constructor(readonly key: string) { super(`key ${key} already exists`); }
}

/** The key does not exist. */
export class NotFoundError extends StorageError {
  constructor(readonly key: string) { super(`key ${key} not found`); }
}

/** A compare-and-swap lost: the key changed since expectedRevision. */
export class RevisionMismatchError extends StorageError {
  constructor(readonly key: string, readonly expected: number, readonly current?: KeyValue) {
    super(`key ${key} was modified (expected revision ${expected}, found ${current?.modRevision ?? 'none'})`);
  }
}

/** The requested revision has been compacted away; the API answers 410 Gone. */
export class CompactedError extends StorageError {
  constructor(readonly requested: number, readonly compacted: number) {
    super(`revision ${requested} has been compacted (compacted revision ${compacted})`);
  }
}
