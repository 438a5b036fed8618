// The content store's promise: a blob is visible only whole and verified; every failure
// leaves no blob and no ingest; concurrent requests for one blob fetch it once.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../../../nodeagent/images/index.js';

let dir: string;
let store: ContentStore;
const digestOf = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-images-content-'));
  store = new ContentStore(dir);
  await store.init();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('content store', () => {
  it('commits a blob streamed in chunks and serves it at blobs/sha256/<hex>', async () => {
    const data = randomBytes(3 << 20);
    const w = await store.writer(digestOf(data), data.length);
    for (let i = 0; i < data.length; i += 65536) await w.write(data.subarray(i, i + 65536));
    const path = await w.commit();
    expect(path).toBe(join(dir, 'blobs/sha256', digestOf(data).slice(7)));
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(await store.ingests()).toEqual([]);
  });

  it.each([
    ['wrong bytes', (d: Buffer) => Buffer.concat([d.subarray(0, -1), Buffer.from([d[d.length - 1]! ^ 1])]), 'digest-mismatch'],
    ['truncated', (d: Buffer) => d.subarray(0, d.length - 100), 'size-mismatch'],
    ['too long', (d: Buffer) => Buffer.concat([d, Buffer.from('x')]), 'size-mismatch'],
  ])('refuses %s, leaving no blob and no ingest', async (_name, mangle, code) => {
    const data = randomBytes(2 << 20);
    const digest = digestOf(data);
    await expect(store.ensure(digest, data.length, async (w) => { await w.write(mangle(data)); })).rejects.toMatchObject({ code });
    expect(await store.has(digest)).toBe(false);
    expect(await store.list()).toEqual([]);
    expect(await store.ingests()).toEqual([]);
  });

  it('cleans only ingests whose data has not been written for the given age', async () => {
    const data = randomBytes(1000);
    const live = await store.writer(digestOf(data), data.length);
    const dead = await store.writer(digestOf(Buffer.from('x')), 1);
    const ingestNames = await store.ingests();
    const dirOf = (digest: string): string => join(dir, 'ingest', (ingestNames.find((n) => n.startsWith(digest.slice(7, 23))))!);
    const liveDir = dirOf(live.digest);
    const deadDir = dirOf(dead.digest);
    const old = new Date(Date.now() - 2 * 3600_000);
    // Both directories are old; only the dead one's data is.
    utimesSync(liveDir, old, old);
    utimesSync(deadDir, old, old);
    utimesSync(join(deadDir, 'data'), old, old);
    expect(await store.cleanIngests(3600_000)).toBe(1);
    await live.write(data);
    expect(readFileSync(await live.commit()).equals(data)).toBe(true);
    await dead.abort();
  });

  it('runs one fetch for concurrent requests of the same blob', async () => {
    const data = randomBytes(1 << 20);
    let fetches = 0;
    const fetch = async (w: { write(b: Buffer): Promise<void> | undefined }): Promise<void> => {
      fetches++;
      await new Promise((r) => setTimeout(r, 20));
      await w.write(data);
    };
    const paths = await Promise.all([1, 2, 3].map(() => store.ensure(digestOf(data), data.length, fetch)));
    expect(new Set(paths).size).toBe(1);
    expect(fetches).toBe(1);
    expect(await store.ensure(digestOf(data), data.length, fetch)).toBe(paths[0]);
    expect(fetches).toBe(1);
  });
});
