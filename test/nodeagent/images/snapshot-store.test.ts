// The Snapshotter and container rootfs: chainID keys, the overlay upperdir format a layer is
// stored in, copy-up of cross-layer hardlinks, concurrent applies, removal order, and a
// container's own writable overlay on top of shared, untouched snapshots.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chainIdOf, chainIds } from '../../../nodeagent/images/chain-id.js';
import { mountOverlay, prepareRootfs, removeRootfs, unmountOverlay } from '../../../nodeagent/images/rootfs.js';
import { Snapshotter } from '../../../nodeagent/images/snapshots.js';
import { getXattrs } from '../../../nodeagent/images/fs-gaps.js';
import { buildImage, multiLayerRules, singleLayerBusybox } from '../../harness/oci-image.js';
import { describeTree } from './fs-tree.js';
import { mounted, readLayoutImage, requireTools, unmountAll, type LayoutImage } from './unpack-support.js';

const run = promisify(execFile);
let work: string;
let rules: LayoutImage;
let busybox: LayoutImage;

beforeAll(async () => {
  requireTools('setfattr', 'getfattr', 'mknod', 'mount');
  work = mkdtempSync('/tmp/skiff-images-snapshots-');
  await buildImage(join(work, 'layout'), 'rules', multiLayerRules('gzip'));
  await buildImage(join(work, 'layout'), 'busybox', await singleLayerBusybox('zstd'));
  rules = readLayoutImage(join(work, 'layout'), 'rules');
  busybox = readLayoutImage(join(work, 'layout'), 'busybox');
});
afterEach(unmountAll);
afterAll(async () => {
  await unmountAll();
  rmSync(work, { recursive: true, force: true });
});

async function applyAll(s: Snapshotter, img: LayoutImage): Promise<string[]> {
  const ids = chainIds(img.diffIds);
  for (const [i, layerPath] of img.layerPaths.entries()) {
    await s.apply({ chainId: ids[i]!, parentChainId: ids[i - 1], diffId: img.diffIds[i]!, layerPath });
  }
  return ids;
}

describe('chainID', () => {
  it('is the diffID for the bottom layer and sha256("<parent> <diffID>") above it', async () => {
    const d = [1, 2, 3].map((n) => `sha256:${createHash('sha256').update(String(n)).digest('hex')}`);
    const { stdout } = await run('sh', ['-c', `printf '%s' '${d[0]} ${d[1]}' | sha256sum`]);
    const second = `sha256:${stdout.slice(0, 64)}`;
    expect(chainIds(d).slice(0, 2)).toEqual([d[0], second]);
    expect(chainIds(d)[2]).toBe(chainIdOf(second, d[2]!));
    expect(() => chainIdOf(undefined, 'md5:abc')).toThrow(/not a sha256 digest/);
  });
});

describe('Snapshotter', () => {
  it('stores layers as overlay upperdirs: whiteout devices, opaque xattrs, copied-up hardlink targets, lower parents\' attributes', async () => {
    const s = new Snapshotter(join(work, 'format'));
    const ids = await applyAll(s, rules);
    const [l1, l2] = [s.fsDir(ids[0]!), s.fsDir(ids[1]!)];
    const gone = lstatSync(join(l2, 'data/gone'));
    expect(gone.isCharacterDevice() && gone.rdev === 0).toBe(true);
    expect((await getXattrs(join(l2, 'opq'))).get('trusted.overlay.opaque')?.toString()).toBe('y');
    expect((await getXattrs(join(l2, 'opq2'))).get('trusted.overlay.opaque')?.toString()).toBe('y');
    expect((await getXattrs(join(l2, 'merge'))).has('trusted.overlay.opaque')).toBe(false);
    // The lower file was copied up and linked; the lower snapshot itself is untouched.
    expect(lstatSync(join(l2, 'hl/orig')).ino).toBe(lstatSync(join(l2, 'hl/cross-layer')).ino);
    expect(lstatSync(join(l2, 'hl/orig'))).toMatchObject({ nlink: 2, uid: 7, gid: 8, mode: 0o100640 });
    expect(lstatSync(join(l1, 'hl/orig')).nlink).toBe(1);
    // owners/ has no entry in layer 2, so the upper copy takes layer 1's attributes.
    expect(lstatSync(join(l2, 'owners'))).toMatchObject({ uid: 1000, gid: 1000, mode: 0o40750 });
    expect(readdirSync(s.root).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('records metadata, lists, reports usage, resolves lowerdirs top-most first, and removes from the top down', async () => {
    const s = new Snapshotter(join(work, 'lifecycle'));
    const ids = await applyAll(s, rules);
    expect((await s.list()).map((i) => i.chainId).sort()).toEqual([...ids].sort());
    expect(await s.info(ids[1]!)).toMatchObject({ chainId: ids[1], parent: ids[0], diffId: rules.diffIds[1], compression: 'gzip' });
    expect(await s.lowerDirs(ids[2]!)).toEqual([ids[2], ids[1], ids[0]].map((id) => s.fsDir(id!)));
    const usage = await s.usage(ids[0]!);
    expect(usage.inodes).toBe(Object.keys(await describeTree(s.fsDir(ids[0]!))).length - 1);
    expect(usage.size).toBeGreaterThan(0);
    await expect(s.remove(ids[1]!)).rejects.toThrow(ids[2]!);
    for (const id of [...ids].reverse()) await s.remove(id);
    expect(await s.list()).toEqual([]);
    expect(readdirSync(s.root)).toEqual([]);
  });

  it('shares one unpack between concurrent applies of a chainID, also across instances on one root', async () => {
    const root = join(work, 'concurrent');
    const [a, b] = [new Snapshotter(root), new Snapshotter(root)];
    const [id] = chainIds(busybox.diffIds);
    const req = { chainId: id!, diffId: busybox.diffIds[0]!, layerPath: busybox.layerPaths[0]! };
    const results = await Promise.all([a.apply(req), a.apply(req), b.apply(req), b.apply({ ...req, layerPath: undefined, stream: createReadStream(req.layerPath) })]);
    expect(new Set(results.map((r) => r.chainId))).toEqual(new Set([id]));
    expect(readdirSync(root)).toEqual([id!.slice(7)]);
    expect(readFileSync(join(a.fsDir(id!), 'bin/busybox')).equals(readFileSync('/bin/busybox'))).toBe(true);
    // Applying again is a no-op that returns the stored record.
    expect(await a.apply(req)).toEqual(await a.info(id!));
  });

  it('clears ingest dirs a crash left behind, and only those', async () => {
    const s = new Snapshotter(join(work, 'stale'));
    const [id] = await applyAll(s, busybox);
    mkdirSync(join(s.root, '.ingest-0123456789abcdef-dead/fs/half'), { recursive: true });
    expect(await s.removeStaleIngests()).toBe(1);
    expect(readdirSync(s.root)).toEqual([id!.slice(7)]);
    expect(await s.has(id!)).toBe(true);
  });

  it('refuses a wrong chainID and a missing parent', async () => {
    const s = new Snapshotter(join(work, 'refuse'));
    const ids = chainIds(rules.diffIds);
    await expect(s.apply({ chainId: ids[1]!, diffId: rules.diffIds[1]!, layerPath: rules.layerPaths[1]! })).rejects.toThrow(/chainID/);
    await expect(s.apply({ chainId: ids[1]!, parentChainId: ids[0], diffId: rules.diffIds[1]!, layerPath: rules.layerPaths[1]! })).rejects.toThrow(
      new RegExp(`snapshot ${ids[0]} is missing`),
    );
    expect(existsSync(s.root) ? readdirSync(s.root) : []).toEqual([]);
  });
});

describe('container rootfs', () => {
  it('gives each container its own writable overlay over shared snapshots that stay untouched', async () => {
    const s = new Snapshotter(join(work, 'rootfs-snapshots'));
    const ids = await applyAll(s, rules);
    const store = { dir: join(work, 'rootfs'), snapshots: s };
    const lowersBefore = JSON.stringify(await Promise.all((await s.lowerDirs(ids[2]!)).map((d) => describeTree(d, { mtimes: true }))));
    const a = await prepareRootfs(store, 'ctr-a', ids[2]);
    const b = await prepareRootfs(store, 'ctr-b', ids[2]);
    expect(a.lower).toEqual(await s.lowerDirs(ids[2]!));
    await mountOverlay(a.target, a);
    mounted.add(a.target);
    await mountOverlay(b.target, b);
    mounted.add(b.target);
    writeFileSync(join(a.target, 'data/keep'), 'changed by a\n');
    writeFileSync(join(a.target, 'hl/cross-layer'), 'through the link\n');
    unlinkSync(join(a.target, 'etc/hostname'));
    expect(readFileSync(join(a.target, 'data/keep'), 'utf8')).toBe('changed by a\n');
    expect(readFileSync(join(b.target, 'data/keep'), 'utf8')).toBe('keep me\n');
    expect(existsSync(join(b.target, 'etc/hostname'))).toBe(true);
    // The upper root carries the image root's attributes; writes landed in a's upper only.
    expect(lstatSync(a.target).mode).toBe(lstatSync(a.lower[0]!).mode);
    expect(lstatSync(join(a.upper, 'etc/hostname')).isCharacterDevice()).toBe(true);
    await unmountAll();
    expect(JSON.stringify(await Promise.all((await s.lowerDirs(ids[2]!)).map((d) => describeTree(d, { mtimes: true }))))).toBe(lowersBefore);
    await removeRootfs(store, 'ctr-a');
    expect(existsSync(join(store.dir, 'ctr-a'))).toBe(false);
    expect(existsSync(b.upper)).toBe(true);
    await removeRootfs(store, 'ctr-b');
  });

  it('mounts a 50-layer image whose absolute lowerdir list would overflow the mount options page', async () => {
    const layers = Array.from({ length: 50 }, (_, i) => ({ entries: [{ type: 'file' as const, path: `layer-${i}`, content: `${i}\n` }], compression: 'none' as const }));
    await buildImage(join(work, 'layout'), 'deep', { layers });
    const deep = readLayoutImage(join(work, 'layout'), 'deep');
    const s = new Snapshotter(join(work, 'deep-snapshots'));
    const ids = await applyAll(s, deep);
    const store = { dir: join(work, 'deep-rootfs'), snapshots: s };
    const r = await prepareRootfs(store, 'deep', ids.at(-1));
    expect(r.lower.join(':').length).toBeGreaterThan(4096);
    await mountOverlay(r.target, r);
    mounted.add(r.target);
    expect(readdirSync(r.target).sort()).toEqual(layers.map((_, i) => `layer-${i}`).sort());
    expect(readFileSync(join(r.target, 'layer-0'), 'utf8')).toBe('0\n');
    await unmountAll();
    await removeRootfs(store, 'deep');
  });

  it('mounts a runnable busybox root from a one-layer zstd image', async () => {
    const s = new Snapshotter(join(work, 'busybox-snapshots'));
    const ids = await applyAll(s, busybox);
    const store = { dir: join(work, 'busybox-rootfs'), snapshots: s };
    const r = await prepareRootfs(store, 'bb', ids[0]);
    await mountOverlay(r.target, r);
    mounted.add(r.target);
    const { stdout } = await run('chroot', [r.target, '/bin/sh', '-c', 'echo hi > /tmp/x && cat /tmp/x && ls -ld /tmp']);
    expect(stdout).toMatch(/^hi\ndrwxrwxrwt/);
    await unmountOverlay(r.target);
    mounted.delete(r.target);
    expect(readFileSync(join(r.upper, 'tmp/x'), 'utf8')).toBe('hi\n');
    await removeRootfs(store, 'bb');
  });
});
