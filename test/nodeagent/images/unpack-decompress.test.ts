// Layer compression is recognised from the bytes, whatever the media type claims.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressLayer, detectCompression, type LayerCompression } from '../../../nodeagent/images/decompress.js';
import { requireTools } from './unpack-support.js';

const original = Buffer.concat([randomBytes(300 << 10), Buffer.alloc(300 << 10, 'a')]);
const zstd = (data: Buffer) => execFileSync('zstd', ['-q', '-c'], { input: data });
const skippableFrame = (payload: Buffer) => {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x184d2a5e, 0);
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

/** Inflates `data` fed in `chunk`-byte pieces; `out` is true when the result equals `expected`. */
async function inflate(data: Buffer, chunk = 64 << 10, expected = original): Promise<{ out: boolean; kind?: LayerCompression }> {
  // The first bytes arrive one by one, so detection must wait for enough of them.
  const parts: Buffer[] = [...data.subarray(0, 6)].map((b) => Buffer.from([b]));
  for (let i = 6; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  let kind: LayerCompression | undefined;
  const out: Buffer[] = [];
  for await (const b of decompressLayer(Readable.from(parts), (k) => (kind = k))) out.push(b as Buffer);
  // Buffer.equals, not toEqual: deep-comparing 600 KB element by element takes seconds.
  return { out: Buffer.concat(out).equals(expected), kind };
}

describe('detectCompression', () => {
  it.each([
    ['gzip', [0x1f, 0x8b, 0x08, 0x00], 'gzip'],
    ['zstd frame', [0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    ['zstd skippable frame', [0x5e, 0x2a, 0x4d, 0x18], 'zstd'],
    ['tar', [...Buffer.from('etc/')], 'none'],
    ['empty', [], 'none'],
    ['gzip magic without deflate method', [0x1f, 0x8b, 0x07, 0x00], 'none'],
  ] as const)('%s', (_name, bytes, kind) => {
    expect(detectCompression(Uint8Array.from(bytes))).toBe(kind);
  });

  it('refuses bzip2 and xz by name', () => {
    expect(() => detectCompression(Buffer.from('BZh9'))).toThrow(/bzip2/);
    expect(() => detectCompression(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toThrow(/xz/);
  });
});

describe('decompressLayer', () => {
  const data = original;

  it('inflates gzip, including multi-member streams, fed one byte at a time at the start', async () => {
    const half = data.length / 2;
    const gz = Buffer.concat([gzipSync(data.subarray(0, half)), gzipSync(data.subarray(half))]);
    expect(await inflate(gz)).toEqual({ out: true, kind: 'gzip' });
  });

  it('inflates zstd, also behind a skippable frame (as zstd:chunked writes)', async () => {
    requireTools('zstd');
    expect(await inflate(zstd(data))).toEqual({ out: true, kind: 'zstd' });
    expect(await inflate(Buffer.concat([skippableFrame(Buffer.from('metadata')), zstd(data)]), 5)).toEqual({ out: true, kind: 'zstd' });
  });

  it('inflates zstd frames with a 1 GiB window (zstd --long), which the CLI refuses by default', async () => {
    requireTools('zstd');
    // Piped input has no known size, so the frame keeps the full --long=30 window.
    const long = execFileSync('sh', ['-c', 'cat | zstd -q --long=30 -c'], { input: data });
    expect(await inflate(long)).toEqual({ out: true, kind: 'zstd' });
  });

  it('passes plain data through untouched', async () => {
    expect(await inflate(data, 1000)).toEqual({ out: true, kind: 'none' });
  });

  it('fails on corrupt gzip and zstd', async () => {
    const gz = gzipSync(data);
    gz[gz.length - 6] ^= 0xff; // the CRC
    await expect(inflate(gz)).rejects.toThrow();
    const z = zstd(data);
    await expect(inflate(z.subarray(0, z.length >> 1))).rejects.toThrow(/zstd/);
  });
});
