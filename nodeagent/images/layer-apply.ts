// Applies one layer (a tar, compressed or not) to a directory, in one streaming pass that
// also computes the layer's diffID. Two output formats:
//   snapshot: an overlayfs upperdir. Whiteouts become 0:0 char devices, opaque markers the
//             `trusted.overlay.opaque=y` xattr; lower layers are never touched.
//   flatten:  one plain tree holding every layer so far. Whiteouts delete, opaque markers
//             clear the lower children of their directory.
//
// Safety. The directory being written is private to us (a fresh temp dir the caller renames
// into place on success), so nothing else creates symlinks in it while we work. Node has no
// openat(2), so every entry's parent is resolved component by component with lstat, and a
// symlink in any parent component refuses the whole layer: a write never follows a link,
// whether the link came from this layer, an earlier one (flatten) or a racing process (none
// can exist in a private dir). Leaves are created with O_EXCL|O_NOFOLLOW after removing
// whatever was there. Names with `..` or a leading `/`, and hardlinks whose target leaves
// the layer, refuse the layer too, with an error naming the entry.
//
// Per-entry metadata calls (lstat, mkdir, open, chown, chmod, utimes) are synchronous: each
// costs microseconds on a local filesystem, while a libuv threadpool round trip costs tens,
// which made small-file layers several times slower than tar. The event loop still turns
// between entries and between content chunks, which arrive asynchronously.
import { chmodSync, closeSync, constants, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, symlinkSync, writeSync, type Stats } from 'node:fs';
import { copyFile, readdir, readlink, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Header } from 'tar-stream';
import { decompressLayer, type LayerCompression } from './decompress.js';
import { getXattrs, makeNode, setXattrs } from './fs-gaps.js';
import { PaxTap, type PaxRecords } from './tar-pax.js';

export type ApplyMode = 'snapshot' | 'flatten';

export interface ApplyLayerOptions {
  mode: ApplyMode;
  /** When set, the sha256 of the uncompressed tar must equal it, or the layer is refused. */
  diffId?: string;
  /**
   * Snapshot mode: the fs dirs of the parent chain, top-most first. Hardlinks to files that
   * live there are copied up first, and implicitly created parent dirs take their attributes.
   */
  lowerDirs?: readonly string[];
  /** Names the layer in errors, e.g. its digest. */
  label?: string;
}

export interface AppliedLayer {
  /** sha256 of the uncompressed tar stream. */
  diffId: string;
  /** Bytes of uncompressed tar read. */
  tarSize: number;
  /** Tar entries applied. */
  entries: number;
  compression: LayerCompression;
}

/** Why a layer was refused; `entry` is the tar name at fault when there is one. */
export type LayerErrorCode = 'LAYER_UNSAFE' | 'LAYER_INVALID' | 'LAYER_DIFFID_MISMATCH';

export class LayerError extends Error {
  constructor(
    message: string,
    readonly code: LayerErrorCode,
    readonly entry?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LayerError';
  }
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/**
 * Applies the tar stream `input` (gzip, zstd or plain, detected from its bytes) to `root`.
 * `root` must be a directory private to the caller: on error it holds a partial layer and
 * the caller must discard it (Snapshotter and flattenLayers apply into temp dirs for this).
 */
export async function applyLayer(input: AsyncIterable<Uint8Array>, root: string, opts: ApplyLayerOptions): Promise<AppliedLayer> {
  let compression: LayerCompression = 'none';
  const hash = createHash('sha256');
  let tarSize = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      tarSize += chunk.length;
      cb(null, chunk);
    },
  });
  const applier = new LayerApplier(root, opts);
  await applier.begin();
  const extract = tarExtract();
  // tar-stream emits entries to whoever listens at that moment: take the iterator before
  // any byte flows, or early entries are lost and the apply never finishes.
  const entryIterator = extract[Symbol.asyncIterator]();
  const source = decompressLayer(input, (c) => (compression = c));
  // tar-stream stops at the end-of-archive blocks; the hasher must still see every byte, so
  // the pipeline runs to the end of the input and the digest is taken after it settles.
  const pax = new PaxTap();
  const fed = pipeline(source, hasher, pax, extract as unknown as NodeJS.WritableStream);
  fed.catch(() => {});
  let entries = 0;
  try {
    for await (const entry of { [Symbol.asyncIterator]: () => entryIterator }) {
      await applier.apply(entry.header, entry as unknown as AsyncIterable<Buffer>, pax.shift());
      entries++;
    }
    await fed;
  } catch (err) {
    source.destroy();
    await fed.catch(() => {});
    throw wrap(err, opts.label);
  }
  const diffId = `sha256:${hash.digest('hex')}`;
  if (opts.diffId !== undefined && opts.diffId !== diffId) {
    const where = opts.label ? `apply layer ${opts.label}` : 'apply layer';
    throw new LayerError(
      `${where}: uncompressed content has diffID ${diffId}, the image config says ${opts.diffId}; the blob is corrupt or the config does not belong to it`,
      'LAYER_DIFFID_MISMATCH',
    );
  }
  try {
    await applier.finish();
  } catch (err) {
    throw wrap(err, opts.label);
  }
  return { diffId, tarSize, entries, compression };
}

function wrap(err: unknown, label: string | undefined): Error {
  const where = label ? `apply layer ${label}` : 'apply layer';
  if (err instanceof LayerError) {
    return new LayerError(`${where}: ${err.message}`, err.code, err.entry, { cause: err.cause });
  }
  const e = err as Error;
  return new Error(`${where}: ${e.message}`, { cause: err });
}

function unsafe(entry: string, why: string): LayerError {
  return new LayerError(`entry \`${entry}\` refused: ${why}`, 'LAYER_UNSAFE', entry);
}

function invalid(entry: string, why: string): LayerError {
  return new LayerError(`entry \`${entry}\` is invalid: ${why}`, 'LAYER_INVALID', entry);
}

/**
 * Splits a tar name into clean components: `./` prefixes and empty parts dropped.
 * `..` anywhere and absolute names are refused rather than clamped into the root, since no
 * image tool produces them and a layer that contains them was built to attack extractors.
 */
export function cleanEntryName(name: string): string[] {
  if (name.includes('\0')) throw unsafe(name, 'name contains a NUL byte');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') && parts.length > 0) throw unsafe(name, 'absolute names are not allowed in a layer');
  if (parts.includes('..')) throw unsafe(name, '`..` would leave the layer root');
  return parts;
}

function lstatOrNull(path: string): Stats | null {
  return lstatSync(path, { throwIfNoEntry: false }) ?? null;
}

function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

interface Timestamps {
  atime: Date;
  mtime: Date;
}

class LayerApplier {
  private readonly snapshot: boolean;
  private readonly lowers: readonly string[];
  /** Relative dirs verified as real directories in this pass ('' is the root). */
  private readonly dirs = new Set<string>(['']);
  /** Relative paths this layer wrote (whiteouts apply only to lower layers). */
  private readonly unpacked = new Set<string>();
  private readonly opaque = new Set<string>();
  /** Snapshot mode: whiteout devices made by this layer, which a later dir entry turns opaque. */
  private readonly whiteouts = new Set<string>();
  private readonly dirTimes = new Map<string, Timestamps>();
  private readonly xattrs = new Map<string, Map<string, Buffer>>();
  private readonly opaqueCache = new Map<string, boolean>();
  private readonly uid = process.getuid?.() ?? 0;
  private readonly gid = process.getgid?.() ?? 0;

  constructor(
    private readonly root: string,
    opts: ApplyLayerOptions,
  ) {
    this.snapshot = opts.mode === 'snapshot';
    this.lowers = opts.lowerDirs ?? [];
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  /** Snapshot mode: the upper root starts with the lower root's attributes, as overlayfs shows the upper's. */
  async begin(): Promise<void> {
    if (!this.snapshot || this.lowers.length === 0) return;
    const st = lstatSync(this.lowers[0]!);
    this.setOwnerMode(this.root, st.uid, st.gid, st.mode & 0o7777);
  }

  async apply(h: Header, body: AsyncIterable<Buffer>, rawPax: PaxRecords | null | undefined): Promise<void> {
    const parts = cleanEntryName(h.name);
    const base = parts.at(-1);
    if (base !== undefined && base.startsWith(WHITEOUT_PREFIX)) {
      await drain(body);
      return this.applyWhiteout(h, parts);
    }
    const rel = parts.join('/');
    // Replacing the root with a symlink would point every later entry outside it.
    if (rel === '' && h.type !== 'directory') throw unsafe(h.name, 'only a directory can stand for the layer root');
    if (rel !== '') await this.ensureParents(h.name, parts);
    const xattrs = this.xattrsOf(h, rawPax);
    switch (h.type) {
      case 'directory':
        await this.makeDir(rel, h);
        break;
      case 'file':
      case 'contiguous-file':
        await this.replace(rel);
        await this.writeFile(rel, body);
        await this.setAttrs(rel, h);
        break;
      case 'symlink':
        await this.replace(rel);
        symlinkSync(h.linkname, this.abs(rel));
        await this.setAttrs(rel, h);
        break;
      case 'link':
        await this.makeHardlink(h.name, rel, h.linkname);
        break;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        await this.replace(rel);
        await makeNode(this.abs(rel), h.type === 'fifo' ? 'fifo' : h.type === 'character-device' ? 'char' : 'block', h.mode & 0o7777, h.devmajor, h.devminor);
        await this.setAttrs(rel, h);
        break;
      default:
        throw invalid(h.name, `tar entry type \`${String(h.type)}\` cannot be unpacked`);
    }
    await drain(body);
    this.unpacked.add(rel);
    if (xattrs && h.type !== 'link') this.xattrs.set(rel, xattrs);
  }

  /** End of layer: opaque directories, xattrs, then directory mtimes (children changed them). */
  async finish(): Promise<void> {
    if (this.snapshot) {
      for (const dir of this.opaque) {
        const x = this.xattrs.get(dir) ?? new Map<string, Buffer>();
        x.set(OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
        this.xattrs.set(dir, x);
      }
    } else {
      const keep = new Set<string>(['']);
      for (const p of this.unpacked) for (let q = p; q !== '' && !keep.has(q); q = q.includes('/') ? q.slice(0, q.lastIndexOf('/')) : '') keep.add(q);
      for (const dir of this.opaque) await this.clearLowerChildren(dir, keep);
    }
    const items: { path: string; xattrs: Map<string, Buffer> }[] = [];
    for (const [rel, x] of this.xattrs) {
      if (lstatOrNull(this.abs(rel))) items.push({ path: rel === '' ? '.' : rel, xattrs: x });
    }
    await setXattrs(this.root, items);
    for (const [rel, t] of this.dirTimes) {
      const st = lstatOrNull(this.abs(rel));
      if (st?.isDirectory()) lutimesSync(this.abs(rel), t.atime, t.mtime);
    }
  }

  private async clearLowerChildren(dir: string, keep: Set<string>): Promise<void> {
    const st = lstatOrNull(this.abs(dir));
    if (!st?.isDirectory()) return;
    for (const name of await readdir(this.abs(dir))) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (!keep.has(rel)) await rm(this.abs(rel), { recursive: true, force: true });
      else if (!this.unpacked.has(rel) || lstatSync(this.abs(rel)).isDirectory()) await this.clearLowerChildren(rel, keep);
    }
  }

  /** xattrs from PAX `SCHILY.xattr.*`, as bytes from the raw records tar-stream also decoded. */
  private xattrsOf(h: Header, raw: PaxRecords | null | undefined): Map<string, Buffer> | undefined {
    const pax = h.pax as Record<string, string> | null | undefined;
    if (!pax) return undefined;
    let out: Map<string, Buffer> | undefined;
    for (const [key, value] of Object.entries(pax)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      // Overlay metadata decides what the merged view hides; an image must not forge it.
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) {
        throw unsafe(h.name, `xattr \`${name}\` is overlayfs metadata and cannot come from an image`);
      }
      const bytes = raw?.get(key);
      if (!bytes || bytes.toString('utf8') !== value) {
        throw invalid(h.name, `PAX record \`${key}\` could not be read byte-exactly (tar framing disagreement)`);
      }
      (out ??= new Map()).set(name, bytes);
    }
    return out;
  }

  /**
   * Makes every parent of `parts` a real directory, creating missing ones with mode 0755
   * (snapshot mode: with the attributes of the same dir in the lower layers, as overlayfs
   * copy-up would, so the merged view keeps them). A symlink in the way refuses the layer.
   */
  private async ensureParents(entry: string, parts: string[]): Promise<void> {
    let rel = '';
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel === '' ? parts[i]! : `${rel}/${parts[i]}`;
      if (this.dirs.has(rel)) continue;
      const st = lstatOrNull(this.abs(rel));
      if (st?.isDirectory()) {
        this.dirs.add(rel);
        continue;
      }
      if (st?.isSymbolicLink()) throw unsafe(entry, `parent \`${rel}\` is a symlink; layers may not write through links`);
      if (st) {
        // A non-directory in the way (a file, or a whiteout this layer made): a directory
        // replaces it. Over a whiteout the new directory must hide the lower one: opaque.
        if (this.snapshot && this.whiteouts.has(rel)) this.opaque.add(rel);
        await this.remove(rel);
      }
      await this.makeImplicitDir(rel);
      this.dirs.add(rel);
    }
  }

  private async makeImplicitDir(rel: string): Promise<void> {
    const abs = this.abs(rel);
    const lower = this.snapshot && !this.opaque.has(rel) ? await this.findLower(rel) : null;
    if (lower?.st.isDirectory()) {
      mkdirSync(abs, { mode: 0o700 });
      this.setOwnerMode(abs, lower.st.uid, lower.st.gid, lower.st.mode & 0o7777);
      lutimesSync(abs, lower.st.atime, lower.st.mtime);
    } else {
      mkdirSync(abs, { mode: 0o755 });
      chmodSync(abs, 0o755);
    }
  }

  private async makeDir(rel: string, h: Header): Promise<void> {
    const abs = this.abs(rel);
    const st = lstatOrNull(abs);
    if (st && !st.isDirectory()) {
      if (this.snapshot && this.whiteouts.has(rel)) this.opaque.add(rel);
      await this.remove(rel);
    }
    if (!st || !st.isDirectory()) mkdirSync(abs, { mode: 0o700 });
    // Existing directory: merge, i.e. keep the children and take the new attributes.
    this.dirs.add(rel);
    this.setOwnerMode(abs, h.uid, h.gid, h.mode & 0o7777);
    this.dirTimes.set(rel, { atime: h.mtime, mtime: h.mtime });
  }

  private async writeFile(rel: string, body: AsyncIterable<Buffer>): Promise<void> {
    const fd = openSync(this.abs(rel), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of body) {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** lchown before chmod: chown clears setuid/setgid. Symlinks get no chmod. Dir mtimes wait for finish(). */
  private async setAttrs(rel: string, h: Header): Promise<void> {
    const abs = this.abs(rel);
    if (h.type === 'symlink') {
      if (h.uid !== this.uid || h.gid !== this.gid) lchownSync(abs, h.uid, h.gid);
    } else {
      this.setOwnerMode(abs, h.uid, h.gid, h.mode & 0o7777);
    }
    lutimesSync(abs, h.mtime, h.mtime);
  }

  private setOwnerMode(abs: string, uid: number, gid: number, mode: number): void {
    lchownSync(abs, uid, gid);
    // The path was just created or verified as a non-symlink inside our private root.
    chmodSync(abs, mode);
  }

  private async applyWhiteout(h: Header, parts: string[]): Promise<void> {
    const entry = h.name;
    const base = parts.at(-1)!;
    const dirParts = parts.slice(0, -1);
    const dir = dirParts.join('/');
    if (base === OPAQUE_MARKER) {
      await this.ensureParents(entry, parts);
      this.opaque.add(dir);
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..' || name.startsWith(WHITEOUT_PREFIX)) throw invalid(entry, 'whiteout names no file');
    const rel = dir === '' ? name : `${dir}/${name}`;
    // A whiteout hides lower layers only; what this layer itself wrote stays.
    if (this.unpacked.has(rel)) return;
    if (this.snapshot) {
      await this.ensureParents(entry, parts);
      await this.replace(rel);
      await makeNode(this.abs(rel), 'char', 0, 0, 0);
      // Owned as the whiteout entry says, as containerd does; overlayfs ignores it either way.
      if (h.uid !== this.uid || h.gid !== this.gid) lchownSync(this.abs(rel), h.uid, h.gid);
      this.whiteouts.add(rel);
      return;
    }
    // Flatten: delete what lower layers left, refusing to walk through a symlink to find it.
    let prefix = '';
    for (const p of dirParts) {
      prefix = prefix === '' ? p : `${prefix}/${p}`;
      const st = lstatOrNull(this.abs(prefix));
      if (!st) return;
      if (st.isSymbolicLink()) throw unsafe(entry, `parent \`${prefix}\` is a symlink; layers may not delete through links`);
      if (!st.isDirectory()) return;
    }
    await this.remove(rel);
  }

  /** Removes whatever is at `rel` unless it is a directory (directories merge). */
  private async replace(rel: string): Promise<void> {
    const st = lstatOrNull(this.abs(rel));
    if (st) await this.remove(rel);
  }

  private async remove(rel: string): Promise<void> {
    await rm(this.abs(rel), { recursive: true, force: true });
    this.whiteouts.delete(rel);
    this.xattrs.delete(rel);
    if (this.dirs.has(rel)) {
      for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
      for (const d of this.xattrs.keys()) if (d.startsWith(`${rel}/`)) this.xattrs.delete(d);
    }
  }

  private async makeHardlink(entry: string, rel: string, linkname: string): Promise<void> {
    let targetParts: string[];
    try {
      targetParts = cleanEntryName(linkname);
    } catch {
      throw unsafe(entry, `hardlink target \`${linkname}\` is outside the layer`);
    }
    const target = targetParts.join('/');
    if (target === '') throw unsafe(entry, 'hardlink to the root directory');
    let prefix = '';
    for (const p of targetParts.slice(0, -1)) {
      prefix = prefix === '' ? p : `${prefix}/${p}`;
      const st = lstatOrNull(this.abs(prefix));
      if (st?.isSymbolicLink()) throw unsafe(entry, `hardlink target \`${linkname}\` goes through the symlink \`${prefix}\``);
      if (!st) break;
    }
    let st = lstatOrNull(this.abs(target));
    if (!st && this.snapshot) {
      // The target lives in a lower snapshot: copy it up into this one, then link to the copy.
      const lower = await this.findLower(target);
      if (lower && !lower.st.isDirectory()) {
        await this.ensureParents(entry, targetParts);
        await this.copyUp(lower.path, lower.st, target);
        st = lstatSync(this.abs(target));
      }
    }
    if (!st) throw invalid(entry, `hardlink target \`${linkname}\` does not exist in this layer or below`);
    if (st.isDirectory()) throw invalid(entry, `hardlink target \`${linkname}\` is a directory`);
    if (target === rel) return;
    await this.replace(rel);
    linkSync(this.abs(target), this.abs(rel));
  }

  private async copyUp(from: string, st: Stats, rel: string): Promise<void> {
    const to = this.abs(rel);
    if (st.isFile()) await copyFile(from, to, constants.COPYFILE_EXCL);
    else if (st.isSymbolicLink()) symlinkSync(await readlink(from), to);
    else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      await makeNode(to, st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : 'block', st.mode & 0o7777, Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
    } else throw invalid(rel, 'cannot copy up a socket');
    lchownSync(to, st.uid, st.gid);
    if (!st.isSymbolicLink()) chmodSync(to, st.mode & 0o7777);
    lutimesSync(to, st.atime, st.mtime);
    const x = await getXattrs(from);
    x.delete(OVERLAY_OPAQUE_XATTR);
    if (x.size) this.xattrs.set(rel, x);
  }

  /**
   * Finds `rel` as overlayfs would see it through the lower snapshots (top-most first):
   * a whiteout, a non-directory parent or an opaque parent ends the search.
   */
  private async findLower(rel: string): Promise<{ path: string; st: Stats } | null> {
    const parts = rel.split('/');
    for (const lower of this.lowers) {
      let prefix = '';
      let opaqueSeen = false;
      let missing = false;
      for (const p of parts.slice(0, -1)) {
        prefix = prefix === '' ? p : `${prefix}/${p}`;
        const st = lstatOrNull(join(lower, prefix));
        if (!st) {
          missing = true;
          break;
        }
        if (!st.isDirectory()) return null;
        if (await this.isOpaque(lower, prefix)) opaqueSeen = true;
      }
      if (!missing) {
        const st = lstatOrNull(join(lower, rel));
        if (st) return isWhiteoutDevice(st) ? null : { path: join(lower, rel), st };
      }
      if (opaqueSeen) return null;
    }
    return null;
  }

  private async isOpaque(lower: string, rel: string): Promise<boolean> {
    const key = `${lower}\0${rel}`;
    let v = this.opaqueCache.get(key);
    if (v === undefined) {
      v = (await getXattrs(join(lower, rel))).get(OVERLAY_OPAQUE_XATTR)?.toString() === 'y';
      this.opaqueCache.set(key, v);
    }
    return v;
  }
}

async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  // tar-stream needs each entry's body consumed before it parses the next header.
  for await (const _ of body) void _;
}
