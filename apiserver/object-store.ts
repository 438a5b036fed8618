// Kubernetes objects over the revision-based Storage: keys in kube's layout
// (/registry/{resource}/{namespace}/{name}), resourceVersion = the key's mod revision,
// compare-and-swap writes, and consistent paged lists with continue tokens.
import type { KeyValue, Storage } from './storage/interface.js';
import { CompactedError, KeyExistsError, NotFoundError, RevisionMismatchError } from './storage/interface.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { apiVersionOf, type KubeObject, type ResourceInfo } from './resources.js';
import { alreadyExists, conflict, expired, notFound } from './status.js';

/** The object has been modified since it was read: kube's wording, which kubectl recognises. */
export const MODIFIED_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export interface ObjectListPage {
  items: KubeObject[];
  /** The storage revision the list reflects (the list's metadata.resourceVersion). */
  revision: number;
  /** Continue token when more items remain. */
  continue?: string;
}

export interface ObjectListOptions {
  namespace?: string;
  limit?: number;
  continue?: string;
  /** Keeps only objects for which this returns true; paging counts kept objects. */
  filter?: (obj: KubeObject) => boolean;
}

/** The storage key of one object. */
export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `/registry/${info.resource}/${namespace}/${name}` : `/registry/${info.resource}/${name}`;
}

/** The key prefix of a collection: one namespace's objects, or all of them. */
export function collectionPrefix(info: ResourceInfo, namespace?: string): string {
  return info.namespaced && namespace ? `/registry/${info.resource}/${namespace}/` : `/registry/${info.resource}/`;
}

/** Decodes a stored value into an object carrying kind, apiVersion and resourceVersion. */
export function decodeObject(info: ResourceInfo, kv: KeyValue, revision = kv.modRevision): KubeObject {
  const obj = JSON.parse(kv.value.toString('utf8')) as KubeObject;
  return withTypeAndVersion(info, obj, revision);
}

export function withTypeAndVersion(info: ResourceInfo, obj: KubeObject, revision: number): KubeObject {
  const out: KubeObject = { kind: info.kind, apiVersion: apiVersionOf(info), ...obj };
  out.kind = info.kind;
  out.apiVersion = apiVersionOf(info);
  out.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(revision) };
  return out;
}

// resourceVersion is never stored: it is the key's revision, as in kube's etcd3 store.
function encodeObject(obj: KubeObject): Buffer {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

/** Maps storage errors to the API errors kube answers with. */
export function translateStorageError(err: unknown, info: ResourceInfo, name: string): unknown {
  if (err instanceof KeyExistsError) return alreadyExists(info, name);
  if (err instanceof NotFoundError) return notFound(info, name);
  if (err instanceof RevisionMismatchError) return err.current ? conflict(info, name, MODIFIED_MESSAGE) : notFound(info, name);
  if (err instanceof CompactedError) return expired(`too old resource version: ${err.requested} (${err.compacted})`);
  return err;
}

/** Object-level reads and CAS writes for every resource, over one Storage. */
export class ObjectStore {
  constructor(readonly storage: Storage) {}

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.storage.get(objectKey(info, namespace, name));
    if (!kv) throw notFound(info, name);
    return decodeObject(info, kv);
  }

  async tryGet(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const kv = await this.storage.get(objectKey(info, namespace, name));
    return kv ? decodeObject(info, kv) : undefined;
  }

  /** Creates the object; resolves to it as stored (with its resourceVersion). */
  async create(info: ResourceInfo, obj: KubeObject): Promise<KubeObject> {
    const name = obj.metadata!.name!;
    try {
      const rev = await this.storage.create(objectKey(info, obj.metadata!.namespace, name), encodeObject(obj));
      return withTypeAndVersion(info, obj, rev);
    } catch (err) {
      throw translateStorageError(err, info, name);
    }
  }

  /** Replaces the object if it is still at `expectedRevision`; 409 Conflict otherwise. */
  async update(info: ResourceInfo, obj: KubeObject, expectedRevision: number): Promise<KubeObject> {
    const name = obj.metadata!.name!;
    try {
      const rev = await this.storage.update(objectKey(info, obj.metadata!.namespace, name), encodeObject(obj), expectedRevision);
      return withTypeAndVersion(info, obj, rev);
    } catch (err) {
      throw translateStorageError(err, info, name);
    }
  }

  /** Deletes the object if it is still at `expectedRevision`; resolves to the delete's revision. */
  async delete(info: ResourceInfo, namespace: string | undefined, name: string, expectedRevision: number): Promise<number> {
    try {
      return await this.storage.delete(objectKey(info, namespace, name), expectedRevision);
    } catch (err) {
      throw translateStorageError(err, info, name);
    }
  }

  /**
   * One page of a collection. With `limit`, reads storage in chunks until `limit` objects
   * passed the filter, pinning every chunk (and every later page) to the first revision.
   */
  async list(info: ResourceInfo, opts: ObjectListOptions): Promise<ObjectListPage> {
    const prefix = collectionPrefix(info, opts.namespace);
    let revision: number | undefined;
    let startKey: string | undefined;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      revision = token.rv;
      startKey = prefix + token.start;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const items: KubeObject[] = [];
    for (;;) {
      let page;
      try {
        // Ask for a little more than needed: selectors usually drop some items.
        page = await this.storage.list({ prefix, revision, startKey, limit: limit ? Math.max(limit - items.length, 1) + 1 : undefined });
      } catch (err) {
        if (err instanceof CompactedError && opts.continue) {
          throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
        }
        throw translateStorageError(err, info, '');
      }
      revision = page.revision;
      for (let i = 0; i < page.items.length; i++) {
        const kv = page.items[i]!;
        const obj = decodeObject(info, kv);
        if (opts.filter && !opts.filter(obj)) continue;
        items.push(obj);
        if (limit && items.length === limit) {
          const more = i < page.items.length - 1 || page.more;
          const next = more ? { rv: revision, start: kv.key.slice(prefix.length) + '\u0000' } : undefined;
          return { items, revision, continue: next ? encodeContinue(next) : undefined };
        }
      }
      if (!page.more || page.items.length === 0) return { items, revision };
      startKey = page.items[page.items.length - 1]!.key + '\u0000';
    }
  }
}
