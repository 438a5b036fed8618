// Hostile and corrupt layers: each is refused with an error naming the offending entry, and
// nothing outside the snapshot (or flatten target) is created or modified, nor is anything
// half-written left inside it.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chainIds } from '../../../nodeagent/images/chain-id.js';
import { flattenLayers } from '../../../nodeagent/images/flatten.js';
import { LayerError } from '../../../nodeagent/images/layer-apply.js';
import { mountOverlay } from '../../../nodeagent/images/rootfs.js';
import { Snapshotter } from '../../../nodeagent/images/snapshots.js';
import { buildImage, maliciousLayers, type LayerEntry } from '../../harness/oci-image.js';
import { describeTree } from './fs-tree.js';
import { mounted, readLayoutImage, requireTools, unmountAll } from './unpack-support.js';

let work: string;
let sentinel: string;
let before: string;
const passwdHash = () => createHash('sha256').update(readFileSync('/etc/passwd')).digest('hex');
let passwd: { hash: string; nlink: number };

beforeAll(async () => {
  requireTools('setfattr', 'getfattr', 'mknod', 'mount');
  work = mkdtempSync('/tmp/skiff-images-malicious-');
  // Outside every snapshot root, reachable by `../` from them and by absolute names.
  sentinel = mkdtempSync('/tmp/skiff-images-sentinel-');
  writeFileSync(join(sentinel, 'precious'), 'do not touch\n');
  before = JSON.stringify(await describeTree(sentinel, { mtimes: true }));
  passwd = { hash: passwdHash(), nlink: statSync('/etc/passwd').nlink };
});
afterEach(unmountAll);
afterAll(async () => {
  await unmountAll();
  rmSync(work, { recursive: true, force: true });
  rmSync(sentinel, { recursive: true, force: true });
});

async function expectOutsideUntouched(): Promise<void> {
  expect(JSON.stringify(await describeTree(sentinel, { mtimes: true }))).toBe(before);
  expect(passwdHash()).toBe(passwd.hash);
  expect(statSync('/etc/passwd').nlink).toBe(passwd.nlink);
}

async function layout(name: string, layers: LayerEntry[][], compression: 'gzip' | 'none' = 'none') {
  const dir = join(work, `layout-${name}`);
  await buildImage(dir, 'latest', { layers: layers.map((entries) => ({ entries })), compression });
  return readLayoutImage(dir, 'latest');
}

const cases = Object.entries(maliciousLayers('/tmp/placeholder'));

describe.each(cases.map(([name]) => name))('malicious layer: %s', (name) => {
  const spec = () => maliciousLayers(sentinel)[name]!;

  it('flatten refuses the layer, names the entry, and leaves nothing behind', async () => {
    const { entries, offending, lower } = spec();
    const img = await layout(`${name}-flat`, lower ? [lower, entries] : [entries]);
    const parent = join(work, `flat-${name}`);
    mkdirSync(parent);
    const target = join(parent, 'rootfs');
    const err = await flattenLayers(img.layerPaths, target, { diffIds: img.diffIds }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LayerError);
    expect(err).toMatchObject({ code: 'LAYER_UNSAFE', entry: offending });
    expect((err as Error).message).toContain(offending);
    expect(readdirSync(parent)).toEqual([]);
    await expectOutsideUntouched();
  });

  it('snapshot apply refuses the layer (or, for a lower-layer symlink, confines it) and leaves no ingest dir', async () => {
    const { entries, offending, lower } = spec();
    const img = await layout(`${name}-snap`, lower ? [lower, entries] : [entries], 'gzip');
    const snapshots = new Snapshotter(join(work, `snap-${name}`));
    const ids = chainIds(img.diffIds);
    const apply = (i: number) => snapshots.apply({ chainId: ids[i]!, parentChainId: ids[i - 1], diffId: img.diffIds[i]!, layerPath: img.layerPaths[i]! });
    if (lower) {
      // Snapshots never see each other's symlinks while writing: the upper layer's `evil/`
      // becomes a directory of its own, which overlayfs shows instead of the lower symlink.
      await apply(0);
      await apply(1);
      const mnt = join(work, `mnt-${name}`);
      mkdirSync(mnt);
      await mountOverlay(mnt, { lower: await snapshots.lowerDirs(ids[1]!) });
      mounted.add(mnt);
      expect(lstatSync(join(mnt, 'evil')).isDirectory()).toBe(true);
      expect(readFileSync(join(mnt, offending), 'utf8')).toBe('pwned');
      expect(existsSync(join(sentinel, 'from-upper-layer'))).toBe(false);
    } else {
      const err = await apply(0).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LAYER_UNSAFE', entry: offending });
      expect(readdirSync(snapshots.root)).toEqual([]);
      expect(await snapshots.has(ids[0]!)).toBe(false);
    }
    await expectOutsideUntouched();
  });
});

describe('corrupt layers', () => {
  const entries: LayerEntry[] = [
    { type: 'dir', path: 'etc/' },
    { type: 'file', path: 'etc/motd', content: 'hello\n' },
  ];

  it('a diffID mismatch is refused and nothing is kept', async () => {
    const img = await layout('diffid', [entries], 'gzip');
    const wrong = `sha256:${'0'.repeat(64)}`;
    const snapshots = new Snapshotter(join(work, 'snap-diffid'));
    const err = await snapshots.apply({ chainId: wrong, diffId: wrong, layerPath: img.layerPaths[0]! }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LAYER_DIFFID_MISMATCH' });
    expect((err as Error).message).toContain(img.diffIds[0]);
    expect(readdirSync(snapshots.root)).toEqual([]);
    const target = join(work, 'flat-diffid', 'rootfs');
    await expect(flattenLayers(img.layerPaths, target, { diffIds: [wrong] })).rejects.toMatchObject({ code: 'LAYER_DIFFID_MISMATCH' });
    expect(readdirSync(join(work, 'flat-diffid'))).toEqual([]);
  });

  it('a truncated gzip layer fails and nothing is kept', async () => {
    const img = await layout('truncated', [[...entries, { type: 'file', path: 'big', content: { random: 1 << 20 } }]], 'gzip');
    truncateSync(img.layerPaths[0]!, Math.floor(statSync(img.layerPaths[0]!).size / 2));
    const snapshots = new Snapshotter(join(work, 'snap-truncated'));
    const [id] = chainIds(img.diffIds);
    await expect(snapshots.apply({ chainId: id!, diffId: img.diffIds[0]!, layerPath: img.layerPaths[0]! })).rejects.toThrow(/apply layer/);
    expect(readdirSync(snapshots.root)).toEqual([]);
  });

  it('a truncated zstd layer fails with zstd\'s reason and nothing is kept', async () => {
    const dir = join(work, 'layout-zstd-truncated');
    await buildImage(dir, 'latest', { layers: [{ entries: [{ type: 'file', path: 'big', content: { random: 1 << 20 } }] }], compression: 'zstd' });
    const img = readLayoutImage(dir, 'latest');
    truncateSync(img.layerPaths[0]!, Math.floor(statSync(img.layerPaths[0]!).size / 2));
    const target = join(work, 'flat-zstd', 'rootfs');
    await expect(flattenLayers(img.layerPaths, target)).rejects.toThrow(/zstd/);
    expect(readdirSync(join(work, 'flat-zstd'))).toEqual([]);
  });

  it('image-supplied overlay xattrs are refused', async () => {
    const img = await layout('overlay-xattr', [[{ type: 'dir', path: 'forged/', xattrs: { 'trusted.overlay.opaque': 'y' } }]]);
    const snapshots = new Snapshotter(join(work, 'snap-xattr'));
    const [id] = chainIds(img.diffIds);
    await expect(snapshots.apply({ chainId: id!, diffId: img.diffIds[0]!, layerPath: img.layerPaths[0]! })).rejects.toMatchObject({
      code: 'LAYER_UNSAFE',
      entry: 'forged/',
    });
    expect(readdirSync(snapshots.root)).toEqual([]);
  });
});
