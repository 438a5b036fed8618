// Byte-exact PAX records. tar-stream decodes PAX values as UTF-8 text, which mangles binary
// xattrs such as `security.capability` (how ping gets CAP_NET_RAW without setuid). This tap
// watches the same bytes tar-stream parses, follows the tar framing exactly as tar-stream
// does, and queues each real entry's raw PAX records, so the applier can take xattr values
// as bytes. The applier cross-checks every value against tar-stream's decoding, so a framing
// disagreement refuses the layer instead of putting an xattr on the wrong file.
import { Transform, type TransformCallback } from 'node:stream';

export type PaxRecords = Map<string, Buffer>;

const BLOCK = 512;

function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** A tar header's size field: octal text, or base-256 when the high bit is set. */
function decodeSize(h: Buffer): number {
  const field = h.subarray(124, 136);
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function isNullHeader(h: Buffer): boolean {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += h[i]!;
  for (let i = 156; i < BLOCK; i++) sum += h[i]!;
  return sum === 8 * 32;
}

/** Parses `<len> <key>=<value>\n` records, keeping values as bytes. */
export function parsePaxRecords(body: Buffer): PaxRecords {
  const out: PaxRecords = new Map();
  let off = 0;
  while (off < body.length) {
    const space = body.indexOf(0x20, off);
    if (space < 0) break;
    const len = parseInt(body.toString('latin1', off, space), 10);
    if (!len || off + len > body.length) break;
    const record = body.subarray(space + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) break;
    out.set(record.toString('utf8', 0, eq), Buffer.from(record.subarray(eq + 1)));
    off += len;
  }
  return out;
}

/**
 * Pass-through stream that queues, for every real tar entry in order, its PAX records
 * (global merged with local, as tar-stream merges them) or null when it had no local PAX
 * header. Consume with `shift()` once per entry tar-stream emits.
 */
export class PaxTap extends Transform {
  private readonly queue: (PaxRecords | null)[] = [];
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private skip = 0;
  private capture: { kind: 'x' | 'g'; left: number; parts: Buffer[] } | null = null;
  private global: PaxRecords | null = null;
  private local: PaxRecords | null = null;

  /** The next entry's records; undefined if the tap has not seen that entry (a bug). */
  shift(): PaxRecords | null | undefined {
    return this.queue.shift();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.scan(chunk);
    cb(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.capture) {
        const n = Math.min(this.capture.left, chunk.length - off);
        this.capture.parts.push(chunk.subarray(off, off + n));
        this.capture.left -= n;
        off += n;
        if (this.capture.left === 0) this.endCapture();
      } else if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeader(this.header);
        }
      }
    }
  }

  private onHeader(h: Buffer): void {
    if (isNullHeader(h)) return;
    const flag = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    const size = decodeSize(h);
    if (flag === 'x' || flag === 'g') {
      this.capture = { kind: flag, left: size, parts: [] };
      if (size === 0) this.endCapture();
      return;
    }
    if (flag === 'L' || flag === 'K') {
      this.skip = size + padding(size);
      return;
    }
    const records = this.local ? new Map([...(this.global ?? []), ...this.local]) : null;
    this.local = null;
    this.queue.push(records);
    const paxSize = records?.get('size');
    const dataSize = paxSize ? parseInt(paxSize.toString('latin1'), 10) : size;
    const nameEnd = h.indexOf(0, 0);
    const name = h.toString('latin1', 0, nameEnd < 0 || nameEnd > 100 ? 100 : nameEnd);
    // tar-stream reads no data for directories (typeflag 5, or an old-style trailing slash).
    const isDir = flag === '5' || (flag === '0' && name.endsWith('/'));
    this.skip = isDir ? 0 : dataSize + padding(dataSize);
  }

  private endCapture(): void {
    const c = this.capture!;
    this.capture = null;
    const size = c.parts.reduce((n, p) => n + p.length, 0);
    const records = parsePaxRecords(Buffer.concat(c.parts));
    if (c.kind === 'g') this.global = records;
    else this.local = records;
    this.skip = padding(size);
  }
}
