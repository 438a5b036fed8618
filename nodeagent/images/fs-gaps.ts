// The few filesystem calls a layer needs that Node's fs lacks: mknod (device nodes, fifos,
// overlay whiteouts) and extended attributes. They run through coreutils' `mknod` and the
// `attr` package's `setfattr`/`getfattr`, with paths relative to a root we own and have
// already checked component by component (see layer-apply.ts). Layers rarely hold more than
// a handful of such entries, and xattrs are batched into one `setfattr --restore` per layer.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type NodeKind = 'char' | 'block' | 'fifo';

/** mknod `path` with exactly `mode` permission bits (the umask does not apply). */
export async function makeNode(path: string, kind: NodeKind, mode: number, major = 0, minor = 0): Promise<void> {
  const type = kind === 'char' ? 'c' : kind === 'block' ? 'b' : 'p';
  const args = ['-m', (mode & 0o7777).toString(8), '--', path, type];
  if (kind !== 'fifo') args.push(String(major), String(minor));
  try {
    await run('mknod', args);
  } catch (err) {
    throw new Error(`mknod \`${path}\`: ${stderrOf(err)}`);
  }
}

/**
 * Sets extended attributes on many paths with one `setfattr --restore`, never following
 * symlinks. Paths are relative to `cwd`.
 */
export async function setXattrs(cwd: string, items: { path: string; xattrs: Map<string, Buffer> }[]): Promise<void> {
  if (items.length === 0) return;
  let dump = '';
  for (const { path, xattrs } of items) {
    dump += `# file: ${quote(path)}\n`;
    for (const [name, value] of xattrs) dump += `${quote(name)}=0x${value.toString('hex')}\n`;
    dump += '\n';
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('setfattr', ['-h', '--restore=-'], { cwd, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('set xattrs: `setfattr` is not installed (apt-get install attr; scripts/setup.sh does)') : err),
    );
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`set xattrs under \`${cwd}\`: ${stderr.trim() || `setfattr exited ${code}`}`))));
    child.stdin.on('error', () => {});
    child.stdin.end(dump);
  });
}

/** All extended attributes of `path` (not following a symlink), every namespace the caller may read. */
export async function getXattrs(path: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let text: string;
  try {
    ({ stdout: text } = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', path], { maxBuffer: 64 << 20 }));
  } catch (err) {
    throw new Error(`read xattrs of \`${path}\`: ${stderrOf(err)}`);
  }
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      out.set(line, Buffer.alloc(0));
      continue;
    }
    const value = line.slice(eq + 1);
    out.set(line.slice(0, eq), value.startsWith('0x') ? Buffer.from(value.slice(2), 'hex') : Buffer.from(value.replace(/^"|"$/g, '')));
  }
  return out;
}

/** getfattr/setfattr dump quoting: backslash, newline, `=` and non-printables as \ooo. */
function quote(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte < 0x21 || byte > 0x7e || byte === 0x5c || byte === 0x3d) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string; code?: string };
  if (e.code === 'ENOENT') return 'the helper binary is not installed (run scripts/setup.sh)';
  return (e.stderr || e.message || String(err)).trim();
}
