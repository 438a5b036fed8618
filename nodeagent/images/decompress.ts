// Layer decompression chosen by the stream's first bytes, never by the media type: registries
// and tools mislabel layers (plain tars served as +gzip, estargz as gzip), and containerd
// also sniffs. gzip runs in Node's zlib (libuv threadpool); zstd, which Node 20's zlib lacks,
// runs in the `zstd` binary: about 3x faster than gzip inflate, and off the event loop in its
// own process. A pure-JS decoder (fzstd) is several times slower and a native addon would
// need a compiler on every node, so the binary wins; scripts/setup.sh installs it.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** Bytes needed to tell the formats apart. */
const HEAD = 4;

/**
 * Names the compression of a stream from its first bytes: gzip `1f 8b 08`, a zstd frame
 * `28 b5 2f fd` or a zstd skippable frame `5? 2a 4d 18`, anything else a plain tar.
 * bzip2 and xz are valid for neither OCI nor Docker layers and are refused by name.
 */
export function detectCompression(head: Uint8Array): LayerCompression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head.length >= 4 && (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) {
    throw new Error('decompress layer: bzip2 layers are not valid OCI layers; rebuild the image with gzip or zstd');
  }
  if (head.length >= 4 && head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) {
    throw new Error('decompress layer: xz layers are not valid OCI layers; rebuild the image with gzip or zstd');
  }
  return 'none';
}

/**
 * Returns the uncompressed bytes of `input` (gzip, zstd or plain, detected from the data).
 * Destroying the result stops the decompressor (and the zstd process) and the input.
 */
export function decompressLayer(input: AsyncIterable<Uint8Array>, onDetect?: (c: LayerCompression) => void): Readable {
  return Readable.from(inflate(input, onDetect), { objectMode: false, highWaterMark: 1 << 20 });
}

async function* inflate(input: AsyncIterable<Uint8Array>, onDetect?: (c: LayerCompression) => void): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  while (headLen < HEAD) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    head.push(b);
    headLen += b.length;
  }
  const first = Buffer.concat(head);
  const kind = detectCompression(first);
  onDetect?.(kind);
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    }
  }
  try {
    if (kind === 'none') {
      yield* rest();
    } else if (kind === 'gzip') {
      yield* through(rest(), createGunzip({ chunkSize: 256 << 10 }));
    } else {
      yield* zstdDecode(rest());
    }
  } finally {
    await it.return?.();
  }
}

/** Feeds `src` into `transform` and yields its output; errors on either side surface here. */
async function* through(src: AsyncIterable<Buffer>, transform: NodeJS.ReadWriteStream & Readable): AsyncGenerator<Buffer> {
  const feed = pipeline(Readable.from(src), transform as unknown as NodeJS.WritableStream).catch((err: Error) => {
    transform.destroy(err);
  });
  try {
    for await (const chunk of transform) yield chunk as Buffer;
  } finally {
    transform.destroy();
    await feed;
  }
}

async function* zstdDecode(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // The CLI refuses frames with windows over 128 MiB unless told otherwise; layers written with
  // --long (zstd:chunked, big images) use up to 2 GiB, which decoders such as containerd's accept.
  const child = spawn('zstd', ['-d', '-c', '-q', '--memory=2048MB'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('decompress zstd layer: the `zstd` binary is not installed (run scripts/setup.sh)') : err),
    );
    child.on('close', (code) => resolve(code));
  });
  exited.catch(() => {});
  // The child closing its stdin early (bad data) makes this pipeline fail with EPIPE; the
  // exit status below carries the real reason.
  const feed = pipeline(Readable.from(src), child.stdin).catch(() => {});
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    await feed;
    if (code !== 0) throw new Error(`decompress zstd layer: ${stderr.trim() || `zstd exited with status ${code}`}`);
    finished = true;
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      await exited.catch(() => {});
      await feed;
    }
  }
}
