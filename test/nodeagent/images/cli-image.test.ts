// `skiff image` as a user runs it: the built bin/skiff (npm run build) against a real
// registry, checking what is printed, the exit codes, and what lands on disk.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { writeOciLayout, type BuiltImage } from './pull-fixtures.js';
import { startStaticRegistry } from './pull-static-registry.js';

const SKIFF = resolve(__dirname, '../../../bin/skiff');
let work: string;
let dataDir: string;
let reg: TestRegistry;
let secured: TestRegistry;
let image: BuiltImage;

function skiff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [SKIFF, 'image', '--data-dir', dataDir, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(resolve(__dirname, '../../../dist/cli/image.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
  work = mkdtempSync(join(tmpdir(), 'skiff-images-cli-'));
  dataDir = join(work, 'data');
  image = await writeOciLayout(join(work, 'layout'), {
    layers: [{ 'etc/hostname': 'skiff\n', 'bin/tool': 'v1' }, { 'bin/tool': 'v2', 'srv/data.txt': 'payload' }],
    config: { Cmd: ['/bin/tool'], Env: ['PATH=/bin'] },
  }, 'v1');
  reg = await startRegistry({ kind: 'none' });
  await reg.push(join(work, 'layout'), 'cli/app:v1');
  secured = await startRegistry({ kind: 'basic', username: 'bob', password: 'pw' });
  await secured.push(join(work, 'layout'), 'cli/private:v1');
});

afterAll(async () => {
  await reg?.stop();
  await secured?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('skiff image', () => {
  it('pull prints the digest and plain per-layer lines off a terminal; a second pull is up to date', async () => {
    const first = await skiff('pull', `${reg.host}/cli/app:v1`);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Digest: ${image.manifestDigest}`);
    expect(first.stdout).toContain(`Pulled ${reg.host}/cli/app:v1`);
    expect(first.stderr).toContain(`Pulling ${reg.host}/cli/app:v1`);
    for (const d of image.layerDigests) expect(first.stderr).toContain(`${d.slice(7, 19)}: done`);
    expect(first.stderr).not.toContain('\x1b[');

    const again = await skiff('pull', `${reg.host}/cli/app:v1`);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is up to date');
  });

  it('ls, inspect and unpack show and write the pulled image', async () => {
    const ls = await skiff('ls');
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toMatch(/^NAME\s+IMAGE ID\s+DIGEST\s+SIZE\s+PLATFORM$/);
    expect(ls.stdout).toContain(`${reg.host}/cli/app:v1`);
    expect(ls.stdout).toContain(image.configDigest.slice(7, 19));

    const inspect = await skiff('inspect', `${reg.host}/cli/app:v1`);
    expect(inspect.code).toBe(0);
    const record = JSON.parse(inspect.stdout);
    expect(record).toMatchObject({ digest: image.manifestDigest, configDigest: image.configDigest, config: { cmd: ['/bin/tool'], env: ['PATH=/bin'] } });

    const out = join(work, 'rootfs');
    const unpack = await skiff('unpack', `${reg.host}/cli/app:v1`, out);
    expect(unpack.code).toBe(0);
    expect(readFileSync(join(out, 'bin/tool'), 'utf8')).toBe('v2');
    expect(readFileSync(join(out, 'etc/hostname'), 'utf8')).toBe('skiff\n');

    const missing = await skiff('inspect', 'busybox');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^skiff image: inspect image busybox: not on this node; pull it first/);
  });

  it('rm removes the name and frees its blobs and snapshots; prune then has nothing to do', async () => {
    const rm = await skiff('rm', `${reg.host}/cli/app:v1`);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toMatch(/Freed .* \(4 blobs, 2 snapshots\)/);
    expect(readdirSync(join(dataDir, 'images/content/blobs/sha256'))).toEqual([]);
    expect(readdirSync(join(dataDir, 'images/snapshots')).filter((n) => !n.startsWith('.'))).toEqual([]);
    expect((await skiff('ls', '-q')).stdout).toBe('');
    const prune = await skiff('prune');
    expect(prune.stdout).toContain('(0 blobs, 0 snapshots)');
  });

  it('pull from a registry that wants credentials says where to put them; --registry-config supplies them', async () => {
    const denied = await skiff('pull', `${secured.host}/cli/private:v1`);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(`skiff image: pull ${secured.host}/cli/private:v1: unauthorized: registry asked for credentials; add them under configs."${secured.host}".auth`);
    expect(readdirSync(join(dataDir, 'images/content/blobs/sha256'))).toEqual([]);

    const config = join(work, 'registries.yaml');
    writeFileSync(config, `configs:\n  "${secured.host}":\n    auth:\n      username: bob\n      password: pw\n`);
    const ok = await skiff('--registry-config', config, 'pull', `${secured.host}/cli/private:v1`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Digest: ${image.manifestDigest}`);

    writeFileSync(config, `configs:\n  "${secured.host}":\n    auth:\n      user: bob\n`);
    const bad = await skiff('--registry-config', config, 'ls');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`configs."${secured.host}".auth.user: unknown field`);
  });

  it('Ctrl-C during a pull exits 130 and leaves no blob and no ingest', async () => {
    const layoutDir = join(work, 'layout');
    const srv = await startStaticRegistry({ layout: layoutDir, stall: { digest: image.layerDigests[1]!, after: 10 } });
    const data = join(work, 'interrupted');
    try {
      const child = spawn(process.execPath, [SKIFF, 'image', '--data-dir', data, 'pull', `${srv.host}/cli/app:v1`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await vi.waitFor(() => expect(stderr).toContain(`${image.layerDigests[1]!.slice(7, 19)}: downloading`), { timeout: 20_000 });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('interrupted');
      expect(readdirSync(join(data, 'images/content/blobs/sha256'))).toEqual([]);
      expect(readdirSync(join(data, 'images/content/ingest'))).toEqual([]);
    } finally {
      await srv.stop();
    }
  });

  it('rejects a malformed reference without touching the network', async () => {
    const res = await skiff('pull', 'Busybox:latest');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('must be lowercase');
  });
});
