// Describes a directory tree the way an image comparison needs: one record per path with
// type, mode, owner, size, content hash, link target, device numbers, xattrs and link count,
// so two unpackers' outputs can be compared with a single deep equality.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TreeRecord {
  type: 'dir' | 'file' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: string;
  nlink?: number;
  mtime?: number;
  xattrs?: Record<string, string>;
}

export interface TreeOptions {
  /** Also record mtimes of non-directories (seconds). */
  mtimes?: boolean;
  /** xattr namespaces to drop (umoci never writes security.selinux, for example). */
  ignoreXattrs?: RegExp;
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every path under `root` ('' for the root itself) mapped to its record. */
export async function describeTree(root: string, opts: TreeOptions = {}): Promise<Record<string, TreeRecord>> {
  const out: Record<string, TreeRecord> = {};
  const walk = async (rel: string): Promise<void> => {
    const abs = rel === '' ? root : join(root, rel);
    const st = await lstat(abs);
    const rec: TreeRecord = {
      type: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'socket',
      mode: (st.mode & 0o7777).toString(8),
      uid: st.uid,
      gid: st.gid,
    };
    if (rec.type === 'symlink') delete (rec as Partial<TreeRecord>).mode;
    if (rec.type === 'file') {
      rec.size = st.size;
      rec.sha256 = await sha256(abs);
      rec.nlink = st.nlink;
    }
    if (rec.type === 'symlink') rec.target = await readlink(abs);
    if (rec.type === 'char' || rec.type === 'block') rec.rdev = `${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
    if (opts.mtimes && rec.type !== 'dir') rec.mtime = Math.floor(st.mtimeMs / 1000);
    out[rel] = rec;
    if (rec.type === 'dir') {
      for (const name of (await readdir(abs)).sort()) await walk(rel === '' ? name : `${rel}/${name}`);
    }
  };
  await walk('');
  // One getfattr for the whole tree; -h so symlinks are not followed.
  const { stdout } = await run('getfattr', ['-R', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], { maxBuffer: 256 << 20 });
  let current: string | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      // getfattr escapes bytes outside printable ASCII as \ooo; undo that, then read UTF-8.
      const p = Buffer.from(line.slice(8).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1').toString('utf8');
      current = p === root ? '' : p.slice(root.length + 1);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === null || eq < 0) continue;
    const name = line.slice(0, eq);
    if (opts.ignoreXattrs?.test(name)) continue;
    const rec = out[current];
    if (!rec) throw new Error(`describe tree: getfattr reported \`${current}\`, which the walk did not see`);
    (rec.xattrs ??= {})[name] = line.slice(eq + 1);
  }
  return out;
}

/** Human-readable differences between two trees (empty when equal). */
export function diffTrees(a: Record<string, TreeRecord>, b: Record<string, TreeRecord>, names: [string, string] = ['skiff', 'peer']): string[] {
  const out: string[] = [];
  for (const p of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[p];
    const y = b[p];
    if (!x) out.push(`/${p}: only in ${names[1]} ${JSON.stringify(y)}`);
    else if (!y) out.push(`/${p}: only in ${names[0]} ${JSON.stringify(x)}`);
    else if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`/${p}: ${names[0]} ${JSON.stringify(x)} != ${names[1]} ${JSON.stringify(y)}`);
  }
  return out.sort();
}
