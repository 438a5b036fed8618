// Builds OCI image layouts (oci-layout, index.json, blobs/sha256/...) from a declarative
// description of layers, so image tests control every tar entry: whiteouts before or after
// their siblings, hardlinks into lower layers, devices, xattrs, and hostile names.
// Layers are streamed (tar-stream -> compressor -> sha256 -> file), so a 200 MB layer
// never sits in memory. Push a layout with the registry harness's `pushOciLayout`.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Duplex, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack, type Header as TarHeader, type Pack } from 'tar-stream';

type Header = Partial<TarHeader> & { name: string; pax?: Record<string, string> };
import { BUSYBOX, requireBusybox } from './busybox.js';

export type Compression = 'gzip' | 'zstd' | 'none';
export type MediaTypeSet = 'oci' | 'docker';

interface Owned {
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; defaults to a fixed date so layers are reproducible. */
  mtime?: number;
  /** Written as PAX `SCHILY.xattr.<name>` records. */
  xattrs?: Record<string, string | Buffer>;
}

/** Content of a generated file: literal bytes, or `size` bytes of seeded pseudo-random data. */
export type FileContent = string | Buffer | { random: number; seed?: string };

/**
 * One tar entry. `path` is written as given (without a leading slash unless `raw`), so tests
 * can place `./x`, `a/../b` or a whiteout exactly where they want it in the stream.
 */
export type LayerEntry =
  | ({ type: 'file'; path: string; content?: FileContent } & Owned)
  | ({ type: 'dir'; path: string } & Owned)
  | ({ type: 'symlink'; path: string; target: string } & Owned)
  | ({ type: 'hardlink'; path: string; target: string } & Owned)
  | ({ type: 'char' | 'block'; path: string; major: number; minor: number } & Owned)
  | ({ type: 'fifo'; path: string } & Owned)
  /** `.wh.<name>` next to `path`: hides `path` from lower layers. */
  | { type: 'whiteout'; path: string }
  /** `<path>/.wh..wh..opq`: hides every lower child of the directory `path`. */
  | { type: 'opaque'; path: string };

export interface LayerSpec {
  entries: LayerEntry[];
  /** Overrides the image's compression for this layer. */
  compression?: Compression;
}

/** The parts of the image config a test can set (OCI `config` object). */
export interface RunConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
}

export interface ImageSpec {
  layers: LayerSpec[];
  config?: RunConfig;
  compression?: Compression;
  /**
   * 'docker' writes Docker schema2 manifest/config/layer media types (gzip or none only), for
   * tests that read the layout directly. skopeo's `oci:` transport only finds OCI manifests
   * in index.json, so to put a Docker image in a registry build 'oci' and push with the
   * registry harness's `{ format: 'v2s2' }`.
   */
  mediaTypes?: MediaTypeSet;
  architecture?: string;
  os?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface BuiltLayer extends Descriptor {
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string;
  /** Path of the blob inside the layout. */
  path: string;
  uncompressedSize: number;
}

export interface BuiltImage {
  layoutDir: string;
  tag: string;
  /** `<layoutDir>:<tag>`, what umoci and skopeo's `oci:` transport take. */
  ref: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: BuiltLayer[];
  diffIds: string[];
}

export interface BuiltIndex {
  layoutDir: string;
  tag: string;
  ref: string;
  index: Descriptor;
  /** Per platform ('linux/amd64'), the image manifest it resolves to. */
  images: Record<string, BuiltImage>;
  attestation: Descriptor;
}

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  inTotoLayer: 'application/vnd.in-toto+json',
} as const;

const FIXED_MTIME = 1_700_000_000;

function layerMediaType(set: MediaTypeSet, c: Compression): string {
  if (set === 'docker') {
    if (c === 'zstd') throw new Error('build docker image: Docker schema2 has no zstd layer media type; use mediaTypes "oci"');
    return c === 'gzip' ? MEDIA.dockerLayerGzip : MEDIA.dockerLayer;
  }
  return c === 'gzip' ? MEDIA.ociLayerGzip : c === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
}

/** Creates an empty OCI layout at `dir` (idempotent). */
export async function initLayout(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs/sha256'), { recursive: true });
  if (!existsSync(join(dir, 'oci-layout'))) {
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }
  if (!existsSync(join(dir, 'index.json'))) {
    await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] }));
  }
}

async function writeJsonBlob(dir: string, mediaType: string, value: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(dir, 'blobs/sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

/** Adds (or replaces) `tag` in the layout's index.json. */
async function tagInLayout(dir: string, tag: string, desc: Descriptor): Promise<void> {
  const path = join(dir, 'index.json');
  const index = JSON.parse(await readFile(path, 'utf8')) as { manifests: Descriptor[] };
  index.manifests = index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  index.manifests.push({ ...desc, annotations: { ...desc.annotations, 'org.opencontainers.image.ref.name': tag } });
  await writeFile(path, JSON.stringify(index, null, 2));
}

/** Deterministic pseudo-random bytes: AES-128-CTR over zeros, keyed by the seed (GB/s, incompressible). */
function randomStream(size: number, seed: string): Readable {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const zeros = Buffer.alloc(1 << 20);
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(zeros.length, size - produced);
      produced += n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

function contentSize(c: FileContent | undefined): number {
  if (c === undefined) return 0;
  if (typeof c === 'string') return Buffer.byteLength(c);
  if (Buffer.isBuffer(c)) return c.length;
  return c.random;
}

function paxFor(xattrs: Record<string, string | Buffer> | undefined): Record<string, string> | undefined {
  if (!xattrs || Object.values(xattrs).some((v) => Buffer.isBuffer(v))) return undefined;
  const pax: Record<string, string> = {};
  for (const [k, v] of Object.entries(xattrs)) pax[`SCHILY.xattr.${k}`] = v as string;
  return pax;
}

/** A ustar header block of typeflag `x` announcing a PAX body of `size` bytes. */
function paxHeaderBlock(size: number): Buffer {
  const h = Buffer.alloc(512);
  const oct = (v: number, off: number, len: number) => h.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, 'latin1');
  h.write('PaxHeader', 0, 'latin1');
  oct(0o644, 100, 8);
  oct(0, 108, 8);
  oct(0, 116, 8);
  oct(size, 124, 12);
  oct(FIXED_MTIME, 136, 12);
  h.write('x', 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** A PAX extended header body with byte values (tar-stream's own writer only takes text). */
function rawPaxBody(xattrs: Record<string, string | Buffer>): Buffer {
  const records = Object.entries(xattrs).map(([k, v]) => {
    const payload = Buffer.concat([Buffer.from(` SCHILY.xattr.${k}=`), Buffer.from(v), Buffer.from('\n')]);
    let len = payload.length + 1;
    while (String(len).length + payload.length !== len) len = String(len).length + payload.length;
    return Buffer.concat([Buffer.from(String(len)), payload]);
  });
  return Buffer.concat(records);
}

function splitPath(p: string): [string, string] {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? ['', trimmed] : [trimmed.slice(0, i + 1), trimmed.slice(i + 1)];
}

async function packEntry(pack: Pack, e: LayerEntry): Promise<void> {
  const base = {
    uid: 'uid' in e ? e.uid ?? 0 : 0,
    gid: 'gid' in e ? e.gid ?? 0 : 0,
    mtime: new Date((('mtime' in e && e.mtime) || FIXED_MTIME) * 1000),
    pax: 'xattrs' in e ? paxFor(e.xattrs) : undefined,
  };
  const put = (header: Header, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  if ('xattrs' in e && e.xattrs && !base.pax) {
    // Binary xattr values (security.capability): write the PAX header ourselves, then the entry.
    // tar-stream's entry() refuses a body for a pax header, so the finished header block is
    // pushed into the pack stream between two entries, where its own writes would go.
    const body = rawPaxBody(e.xattrs);
    (pack as unknown as { push(b: Buffer): boolean }).push(Buffer.concat([paxHeaderBlock(body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512)]));
  }
  switch (e.type) {
    case 'file': {
      const size = contentSize(e.content);
      const header: Header = { ...base, name: e.path, type: 'file', mode: e.mode ?? 0o644, size };
      if (e.content === undefined || typeof e.content === 'string' || Buffer.isBuffer(e.content)) {
        return put(header, Buffer.from(e.content ?? ''));
      }
      const { random, seed } = e.content;
      return new Promise<void>((resolve, reject) => {
        const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
        randomStream(random, seed ?? e.path).pipe(sink);
      });
    }
    case 'dir':
      return put({ ...base, name: e.path, type: 'directory', mode: e.mode ?? 0o755 });
    case 'symlink':
      return put({ ...base, name: e.path, type: 'symlink', linkname: e.target, mode: e.mode ?? 0o777 });
    case 'hardlink':
      return put({ ...base, name: e.path, type: 'link', linkname: e.target, mode: e.mode ?? 0o644 });
    case 'char':
    case 'block':
      return put({
        ...base,
        name: e.path,
        type: e.type === 'char' ? 'character-device' : 'block-device',
        mode: e.mode ?? 0o666,
        devmajor: e.major,
        devminor: e.minor,
      });
    case 'fifo':
      return put({ ...base, name: e.path, type: 'fifo', mode: e.mode ?? 0o644 });
    case 'whiteout': {
      const [dir, name] = splitPath(e.path);
      return put({ ...base, name: `${dir}.wh.${name}`, type: 'file', mode: 0o644, size: 0 });
    }
    case 'opaque':
      return put({ ...base, name: `${e.path.replace(/\/+$/, '')}/.wh..wh..opq`, type: 'file', mode: 0o644, size: 0 });
  }
}

/** A readable uncompressed tar of `entries`, in order. */
export function layerTar(entries: LayerEntry[]): Readable {
  const pack = tarPack();
  (async () => {
    for (const e of entries) await packEntry(pack, e);
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  // tar-stream 3 streams are streamx streams; wrap so Node's pipeline sees a core Readable.
  return Readable.from(pack);
}

function compressor(c: Compression): Duplex | null {
  if (c === 'gzip') return createGzip({ level: 1 });
  if (c === 'zstd') {
    const child = spawn('zstd', ['-q', '-3', '-T1', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
    child.on('error', (err) => duplex.destroy(err));
    child.on('exit', (code) => {
      if (code !== 0) duplex.destroy(new Error(`compress layer with zstd: exited with status ${code}`));
    });
    return duplex;
  }
  return null;
}

function hasher(hash: ReturnType<typeof createHash>, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Writes one layer blob into the layout; returns its descriptor and diff_id. */
export async function writeLayer(layoutDir: string, layer: LayerSpec, compression: Compression, set: MediaTypeSet = 'oci'): Promise<BuiltLayer> {
  await initLayout(layoutDir);
  const c = layer.compression ?? compression;
  const mediaType = layerMediaType(set, c);
  const tmp = join(layoutDir, 'blobs/sha256', `.tmp-${randomBytes(6).toString('hex')}`);
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  const raw = { n: 0 };
  const stored = { n: 0 };
  const stages: (Readable | Duplex | Writable)[] = [layerTar(layer.entries), hasher(diffHash, raw)];
  const z = compressor(c);
  if (z) stages.push(z);
  stages.push(hasher(blobHash, stored), createWriteStream(tmp));
  await pipeline(stages as unknown as [Readable, Writable]);
  const hex = blobHash.digest('hex');
  const path = join(layoutDir, 'blobs/sha256', hex);
  await rename(tmp, path);
  return {
    mediaType,
    digest: `sha256:${hex}`,
    size: stored.n,
    diffId: `sha256:${diffHash.digest('hex')}`,
    path,
    uncompressedSize: raw.n,
  };
}

/** Builds one single-platform image into `layoutDir` and tags it `tag` in index.json. */
export async function buildImage(layoutDir: string, tag: string, spec: ImageSpec, opts: { untagged?: boolean } = {}): Promise<BuiltImage> {
  await initLayout(layoutDir);
  const set = spec.mediaTypes ?? 'oci';
  const layers: BuiltLayer[] = [];
  for (const l of spec.layers) layers.push(await writeLayer(layoutDir, l, spec.compression ?? 'gzip', set));
  const architecture = spec.architecture ?? 'amd64';
  const os = spec.os ?? 'linux';
  const configJson = {
    created: new Date(FIXED_MTIME * 1000).toISOString(),
    architecture,
    os,
    config: { ...spec.config },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: new Date(FIXED_MTIME * 1000).toISOString(), created_by: 'skiff test harness' })),
  };
  const config = await writeJsonBlob(layoutDir, set === 'docker' ? MEDIA.dockerConfig : MEDIA.ociConfig, configJson);
  const manifestMedia = set === 'docker' ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = await writeJsonBlob(layoutDir, manifestMedia, {
    schemaVersion: 2,
    mediaType: manifestMedia,
    config,
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  });
  const platformed = { ...manifest, platform: { architecture, os } };
  if (!opts.untagged) await tagInLayout(layoutDir, tag, platformed);
  return {
    layoutDir,
    tag,
    ref: `${layoutDir}:${tag}`,
    manifest: platformed,
    config,
    layers,
    diffIds: layers.map((l) => l.diffId),
  };
}

/**
 * Builds a multi-arch image: an OCI index with linux/amd64 and linux/arm64 manifests plus a
 * BuildKit-style attestation manifest (platform unknown/unknown) that a puller must skip.
 * Each platform image is also tagged `<tag>-<arch>` so umoci can unpack it directly.
 */
export async function buildMultiArchImage(layoutDir: string, tag: string, specs: { amd64: ImageSpec; arm64: ImageSpec }): Promise<BuiltIndex> {
  const amd64 = await buildImage(layoutDir, `${tag}-amd64`, { ...specs.amd64, architecture: 'amd64', os: 'linux' });
  const arm64 = await buildImage(layoutDir, `${tag}-arm64`, { ...specs.arm64, architecture: 'arm64', os: 'linux' });
  const statement = await writeJsonBlob(layoutDir, MEDIA.inTotoLayer, {
    _type: 'https://in-toto.io/Statement/v0.1',
    subject: [{ digest: { sha256: amd64.manifest.digest.slice(7) } }],
    predicateType: 'https://spdx.dev/Document',
    predicate: {},
  });
  const emptyConfig = await writeJsonBlob(layoutDir, MEDIA.ociConfig, { architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [] } });
  const attManifest = await writeJsonBlob(layoutDir, MEDIA.ociManifest, {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: emptyConfig,
    layers: [{ ...statement, annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' } }],
  });
  const attestation: Descriptor = {
    ...attManifest,
    platform: { architecture: 'unknown', os: 'unknown' },
    annotations: {
      'vnd.docker.reference.digest': amd64.manifest.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    },
  };
  const strip = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size, platform: d.platform });
  const docker = (specs.amd64.mediaTypes ?? 'oci') === 'docker';
  const indexMedia = docker ? MEDIA.dockerList : MEDIA.ociIndex;
  const manifests = docker ? [strip(amd64.manifest), strip(arm64.manifest)] : [strip(amd64.manifest), strip(arm64.manifest), attestation];
  const index = await writeJsonBlob(layoutDir, indexMedia, { schemaVersion: 2, mediaType: indexMedia, manifests });
  await tagInLayout(layoutDir, tag, index);
  return { layoutDir, tag, ref: `${layoutDir}:${tag}`, index, images: { 'linux/amd64': amd64, 'linux/arm64': arm64 }, attestation };
}

// ---------------------------------------------------------------------------------------
// Ready-made fixtures

/** busybox-static as /bin/busybox plus one symlink per applet, /etc/passwd, /tmp 1777. */
export async function singleLayerBusybox(compression: Compression = 'gzip', mediaTypes: MediaTypeSet = 'oci'): Promise<ImageSpec> {
  requireBusybox();
  const applets = execFileSync(BUSYBOX, ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox');
  const entries: LayerEntry[] = [
    { type: 'dir', path: 'bin/' },
    { type: 'file', path: 'bin/busybox', mode: 0o755, content: await readFile(BUSYBOX) },
    ...applets.map((a): LayerEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'dir', path: 'etc/' },
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { type: 'dir', path: 'tmp/', mode: 0o1777 },
    { type: 'dir', path: 'root/', mode: 0o700 },
  ];
  return {
    layers: [{ entries }],
    compression,
    mediaTypes,
    config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'echo hello'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/', User: '0:0' },
  };
}

/**
 * Three layers exercising every application rule: whiteouts of files and directories,
 * opaque markers placed before and after their same-layer siblings, file<->dir
 * replacement both ways, directory attribute merge, hardlinks within a layer and into a
 * lower layer, symlinks (relative, absolute, dangling), devices, a fifo, setuid/setgid/sticky,
 * owners, xattrs, missing parents, `./` names and a duplicate entry (last wins).
 */
export function multiLayerRules(compression: Compression = 'gzip', mediaTypes: MediaTypeSet = 'oci'): ImageSpec {
  const l1: LayerEntry[] = [
    { type: 'dir', path: 'etc/' },
    { type: 'file', path: 'etc/hostname', content: 'one\n' },
    { type: 'dir', path: 'data/' },
    { type: 'file', path: 'data/keep', content: 'keep me\n' },
    { type: 'file', path: 'data/gone', content: 'whited out in layer 2\n' },
    { type: 'dir', path: 'data/dir-to-file/' },
    { type: 'file', path: 'data/dir-to-file/child', content: 'child\n' },
    { type: 'file', path: 'data/file-to-dir', content: 'becomes a dir\n' },
    { type: 'symlink', path: 'data/link-to-file', target: 'keep' },
    { type: 'dir', path: 'wdir/' },
    { type: 'file', path: 'wdir/a', content: 'a\n' },
    { type: 'dir', path: 'wdir/sub/' },
    { type: 'file', path: 'wdir/sub/b', content: 'b\n' },
    { type: 'dir', path: 'opq/' },
    { type: 'file', path: 'opq/old1', content: 'lower 1\n' },
    { type: 'dir', path: 'opq/olddir/' },
    { type: 'file', path: 'opq/olddir/x', content: 'x\n' },
    { type: 'dir', path: 'opq2/' },
    { type: 'file', path: 'opq2/old', content: 'lower\n' },
    { type: 'dir', path: 'hl/' },
    { type: 'file', path: 'hl/orig', content: 'linked from layer 2\n', mode: 0o640, uid: 7, gid: 8 },
    { type: 'dir', path: 'modes/' },
    { type: 'file', path: 'modes/setuid', content: '#!/bin/sh\n', mode: 0o4755 },
    { type: 'file', path: 'modes/setgid', content: '#!/bin/sh\n', mode: 0o2755, gid: 50 },
    { type: 'dir', path: 'modes/sticky/', mode: 0o1777 },
    { type: 'dir', path: 'modes/setgid-dir/', mode: 0o2775, gid: 50 },
    { type: 'file', path: 'modes/setuid-owned', content: 'x', mode: 0o4750, uid: 1000, gid: 1000 },
    { type: 'dir', path: 'owners/', uid: 1000, gid: 1000, mode: 0o750 },
    { type: 'file', path: 'owners/f', content: 'owned\n', uid: 1000, gid: 1001, mode: 0o600 },
    { type: 'symlink', path: 'owners/l', target: 'f', uid: 1000, gid: 1001 },
    { type: 'symlink', path: 'abs-link', target: '/etc/hostname' },
    { type: 'symlink', path: 'dangling', target: '/nonexistent/target' },
    { type: 'dir', path: 'dev/' },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'block', path: 'dev/loop7', major: 7, minor: 7, mode: 0o660, gid: 6 },
    { type: 'fifo', path: 'dev/fifo', mode: 0o620 },
    { type: 'file', path: 'xattr-file', content: 'x\n', xattrs: { 'user.skiff.test': 'hello', 'user.skiff.other': 'w0rld' } },
    // cap_net_raw+ep as a VFS v2 capability blob, and a user xattr that is not UTF-8.
    {
      type: 'file',
      path: 'bin/ping',
      content: '#!/bin/sh\n',
      mode: 0o755,
      xattrs: { 'security.capability': Buffer.from('0100000200200000000000000000000000000000', 'hex'), 'user.skiff.bin': Buffer.from([0xff, 0x00, 0x80, 0x41]) },
    },
    { type: 'dir', path: 'merge/', mode: 0o700 },
    { type: 'file', path: 'merge/lower', content: 'lower\n' },
    { type: 'file', path: 'replaced-symlink', content: 'file in layer 1\n' },
    { type: 'dir', path: 'gone-then-back/' },
    { type: 'file', path: 'gone-then-back/old', content: 'old\n' },
  ];
  const l2: LayerEntry[] = [
    { type: 'whiteout', path: 'data/gone' },
    { type: 'file', path: 'data/dir-to-file', content: 'now a file\n' },
    { type: 'dir', path: 'data/file-to-dir/', mode: 0o711 },
    { type: 'file', path: 'data/file-to-dir/inside', content: 'inside\n' },
    { type: 'whiteout', path: 'wdir' },
    // Opaque AFTER a same-layer sibling: the sibling must survive.
    { type: 'file', path: 'opq/new-before', content: 'same layer, before marker\n' },
    { type: 'opaque', path: 'opq' },
    { type: 'file', path: 'opq/new-after', content: 'same layer, after marker\n' },
    // Opaque BEFORE its siblings, no dir entry for the directory itself.
    { type: 'opaque', path: 'opq2' },
    { type: 'file', path: 'opq2/new', content: 'new\n' },
    { type: 'hardlink', path: 'hl/cross-layer', target: 'hl/orig' },
    { type: 'file', path: 'hl/same', content: 'same-layer target\n', mode: 0o600 },
    { type: 'hardlink', path: 'hl/same-link', target: 'hl/same' },
    { type: 'dir', path: 'merge/', mode: 0o750, uid: 1000, gid: 1000 },
    { type: 'file', path: 'merge/upper', content: 'upper\n' },
    // No entry for owners/: its 0750 1000:1000 from layer 1 must survive.
    { type: 'file', path: 'owners/added-later', content: 'later\n', uid: 1000 },
    // Missing parents: no entries for deep/, deep/a/, deep/a/b/.
    { type: 'file', path: 'deep/a/b/file', content: 'deep\n' },
    { type: 'file', path: './dot-prefixed', content: 'dot\n' },
    // Names that need PAX path records: over 100 bytes with no usable ustar split, and non-ASCII.
    { type: 'file', path: `long/${'n'.repeat(120)}`, content: 'long name\n', xattrs: { 'user.skiff.long': 'yes' } },
    { type: 'file', path: 'ünïcode-名前', content: 'utf-8 name\n' },
    { type: 'file', path: 'dup', content: 'first\n' },
    { type: 'file', path: 'dup', content: 'second wins\n', mode: 0o600 },
    { type: 'symlink', path: 'replaced-symlink', target: 'etc/hostname' },
    { type: 'file', path: 'xattr-file', content: 'x2\n', xattrs: { 'user.skiff.test': 'changed' } },
    { type: 'file', path: 'etc/hostname', content: 'two\n' },
    { type: 'whiteout', path: 'gone-then-back' },
  ];
  const l3: LayerEntry[] = [
    { type: 'whiteout', path: 'data/file-to-dir/inside' },
    { type: 'dir', path: 'gone-then-back/', mode: 0o755 },
    { type: 'file', path: 'gone-then-back/new', content: 'new\n' },
    { type: 'file', path: 'replaced-symlink', content: 'file again in layer 3\n' },
    { type: 'whiteout', path: 'hl/same' },
    { type: 'file', path: 'opq2/layer3', content: 'three\n' },
  ];
  return {
    layers: [{ entries: l1 }, { entries: l2 }, { entries: l3 }],
    compression,
    mediaTypes,
    config: { Entrypoint: ['/bin/true'], Env: ['A=1', 'B=two words'], WorkingDir: '/data', User: '1000:1000' },
  };
}

/** One layer holding a single file of `sizeMB` MiB of incompressible data, plus a small second layer. */
export function largeImage(sizeMB: number, compression: Compression = 'gzip', mediaTypes: MediaTypeSet = 'oci'): ImageSpec {
  return {
    layers: [
      { entries: [{ type: 'dir', path: 'big/' }, { type: 'file', path: 'big/blob', content: { random: sizeMB << 20, seed: 'large' } }] },
      { entries: [{ type: 'file', path: 'big/readme', content: 'large image\n' }] },
    ],
    compression,
    mediaTypes,
  };
}

/**
 * Hostile layers, each with the entry name an extractor must refuse. `sentinel` is an absolute
 * directory outside the snapshot root that the layers try to write into.
 */
export function maliciousLayers(sentinel: string): Record<string, { entries: LayerEntry[]; offending: string; lower?: LayerEntry[] }> {
  const rel = sentinel.replace(/^\/+/, '');
  return {
    dotdot: {
      entries: [{ type: 'file', path: 'ok', content: 'fine' }, { type: 'file', path: `../../../../../../../../${rel}/dotdot`, content: 'pwned' }],
      offending: `../../../../../../../../${rel}/dotdot`,
    },
    absolute: {
      entries: [{ type: 'file', path: `${sentinel}/absolute`, content: 'pwned' }],
      offending: `${sentinel}/absolute`,
    },
    'symlink-to-root': {
      entries: [{ type: 'symlink', path: 'rootlink', target: '/' }, { type: 'file', path: `rootlink/${rel}/via-symlink`, content: 'pwned' }],
      offending: `rootlink/${rel}/via-symlink`,
    },
    'symlink-to-sentinel': {
      entries: [{ type: 'symlink', path: 'out', target: sentinel }, { type: 'dir', path: 'out/newdir/' }],
      offending: 'out/newdir/',
    },
    'hardlink-outside': {
      entries: [{ type: 'hardlink', path: 'passwd', target: '../../../../../../../../etc/passwd' }],
      offending: 'passwd',
    },
    'hardlink-absolute': {
      entries: [{ type: 'hardlink', path: 'passwd2', target: '/etc/passwd' }],
      offending: 'passwd2',
    },
    'hardlink-through-symlink': {
      entries: [{ type: 'symlink', path: 'etcdir', target: '/etc' }, { type: 'hardlink', path: 'shadow', target: 'etcdir/passwd' }],
      offending: 'shadow',
    },
    'symlink-chain': {
      entries: [
        { type: 'dir', path: 'a/' },
        { type: 'symlink', path: 'a/up', target: '..' },
        { type: 'symlink', path: 'chain', target: `a/up/a/up/../../../../../../../../${rel}` },
        { type: 'file', path: 'chain/via-chain', content: 'pwned' },
      ],
      offending: 'chain/via-chain',
    },
    'root-symlink': {
      entries: [{ type: 'symlink', path: '.', target: sentinel }, { type: 'file', path: 'via-root', content: 'pwned' }],
      offending: '.',
    },
    'lower-layer-symlink': {
      lower: [{ type: 'symlink', path: 'evil', target: sentinel }],
      entries: [{ type: 'file', path: 'evil/from-upper-layer', content: 'pwned' }],
      offending: 'evil/from-upper-layer',
    },
  };
}

/** Convenience: build `spec` into a fresh layout dir under `parent`. */
export async function buildFixture(parent: string, name: string, spec: ImageSpec): Promise<BuiltImage> {
  const dir = join(parent, name);
  return buildImage(dir, 'latest', spec);
}
