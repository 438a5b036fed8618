// Content-addressed blob store, laid out like containerd's: committed blobs at
// blobs/sha256/<hex>, in-flight writes under ingest/<random>/. A blob becomes visible only
// after its size and sha256 were checked while it streamed, it was fsynced, and it was renamed
// into place; every failure removes its ingest directory, so a reader never sees half a blob.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** A blob failed verification; nothing was stored. */
export class ContentError extends Error {
  override name = 'ContentError';
  constructor(message: string, readonly code: 'digest-mismatch' | 'size-mismatch' | 'invalid-digest') {
    super(message);
  }
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;
// Writes are batched to this size: fewer syscalls, one write in flight while hashing goes on.
const FLUSH_BYTES = 1 << 20;

function hexOf(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new ContentError(`content ${digest}: not a sha256 digest`, 'invalid-digest');
  return m[1]!;
}

/**
 * An in-flight blob. Bytes are hashed as they arrive and the running offset is kept, so a
 * dropped download resumes at `offset` with a Range request and the same hash state.
 */
export class IngestWriter {
  private readonly hash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> = Promise.resolve();
  private done = false;
  /** Bytes received so far. */
  offset = 0;

  constructor(
    private readonly store: ContentStore,
    readonly digest: string,
    readonly expectedSize: number,
    private readonly dir: string,
    private readonly fh: FileHandle,
  ) {}

  /**
   * Appends a chunk. Returns a promise only when the caller must wait (a full batch is
   * waiting for the previous write), so a stream can pause exactly then and no sooner.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    this.offset += chunk.length;
    if (this.offset > this.expectedSize) {
      throw new ContentError(`content ${this.digest}: more than the ${this.expectedSize} bytes its descriptor declares`, 'size-mismatch');
    }
    this.hash.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < FLUSH_BYTES) return undefined;
    return this.flushing.then(() => { this.flushing = this.flush(); });
  }

  private async flush(): Promise<void> {
    if (!this.pendingBytes) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.fh.write(data, written, data.length - written);
      written += bytesWritten;
    }
  }

  /**
   * Verifies size and digest, fsyncs, and renames the blob into place; on any failure the
   * ingest is removed and the error thrown. Returns the committed blob's path.
   */
  async commit(): Promise<string> {
    try {
      await this.flushing;
      await this.flush();
      if (this.offset !== this.expectedSize) {
        throw new ContentError(`content ${this.digest}: got ${this.offset} bytes, its descriptor declares ${this.expectedSize}; the download was cut short`, 'size-mismatch');
      }
      const actual = 'sha256:' + this.hash.digest('hex');
      if (actual !== this.digest) {
        throw new ContentError(`content ${this.digest}: downloaded bytes have digest ${actual}; the registry served corrupt or different content`, 'digest-mismatch');
      }
      // fsync before rename: after a crash the name must never point at unwritten data.
      await this.fh.sync();
      await this.fh.close();
      this.done = true;
      const target = this.store.path(this.digest);
      await rename(join(this.dir, 'data'), target);
      await rm(this.dir, { recursive: true, force: true });
      return target;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drops the ingest; safe to call more than once. */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.flushing.catch(() => {});
      await this.fh.close().catch(() => {});
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The blobs of every image on this node, keyed by sha256 digest. */
export class ContentStore {
  private readonly blobsDir: string;
  private readonly ingestDir: string;
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  /** Creates the directories; idempotent. */
  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
  }

  /** Where committed blob `digest` lives (whether or not it exists). */
  path(digest: string): string {
    return join(this.blobsDir, hexOf(digest));
  }

  /** Size of committed blob `digest`, or undefined when absent. */
  async size(digest: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(digest))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  /** The bytes of a committed blob (manifests, configs: small ones). */
  async read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  /** Starts an ingest for `digest` of `size` bytes in a fresh directory of its own. */
  async writer(digest: string, size: number): Promise<IngestWriter> {
    hexOf(digest);
    const dir = join(this.ingestDir, `${hexOf(digest).slice(0, 16)}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    try {
      const fh = await open(join(dir, 'data'), fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      return new IngestWriter(this, digest, size, dir, fh);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Makes sure blob `digest` is present, calling `fetch(writer)` to fill a writer when it is
   * not. Concurrent calls for the same digest share one fetch. Resolves to the blob's path.
   */
  async ensure(digest: string, size: number, fetch: (writer: IngestWriter) => Promise<void> | void): Promise<string> {
    const existing = this.inflight.get(digest);
    if (existing) return existing;
    const job = (async () => {
      const have = await this.size(digest);
      if (have === size) return this.path(digest);
      const writer = await this.writer(digest, size);
      try {
        await fetch(writer);
      } catch (err) {
        await writer.abort();
        throw err;
      }
      return writer.commit();
    })().finally(() => this.inflight.delete(digest));
    this.inflight.set(digest, job);
    return job;
  }

  /** Stores a small in-memory blob (manifest, config) after checking its digest. */
  async put(digest: string, data: Buffer): Promise<string> {
    return this.ensure(digest, data.length, async (writer) => { await writer.write(data); });
  }

  /** Every committed digest. */
  async list(): Promise<string[]> {
    const names = await readdir(this.blobsDir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes blob `digest`; absent is fine. */
  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /**
   * Removes ingests older than `olderThanMs` that this process is not writing: leftovers of
   * a crashed process. Returns how many were removed.
   */
  async cleanIngests(olderThanMs: number): Promise<number> {
    const names = await readdir(this.ingestDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const dir = join(this.ingestDir, name);
      // The data file's mtime moves with every write, so a long download in progress is not
      // mistaken for a leftover; the directory's own mtime does not.
      const info = await stat(join(dir, 'data')).catch(() => stat(dir)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > olderThanMs) {
        await rm(dir, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Ingest directories currently present (tests assert nothing is left behind). */
  async ingests(): Promise<string[]> {
    return readdir(this.ingestDir).catch(() => [] as string[]);
  }
}
