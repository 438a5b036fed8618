// The rootfs Skiff materialises must equal what umoci (the OCI reference unpacker) makes of
// the same image: for every fixture, compression and media-type flavour, both the flattened
// tree and the snapshot stack mounted as a real read-only overlay. umoci 0.4 reads neither
// zstd layers nor Docker media types, so those flavours are compared with umoci's unpack of
// the OCI gzip flavour, after asserting that their uncompressed layers (diffIDs) are identical.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chainIds } from '../../../nodeagent/images/chain-id.js';
import { flattenLayers } from '../../../nodeagent/images/flatten.js';
import { mountOverlay } from '../../../nodeagent/images/rootfs.js';
import { Snapshotter } from '../../../nodeagent/images/snapshots.js';
import { buildImage, largeImage, multiLayerRules, singleLayerBusybox, type Compression, type ImageSpec, type MediaTypeSet } from '../../harness/oci-image.js';
import { describeTree, diffTrees, type TreeRecord } from './fs-tree.js';
import { mounted, readLayoutImage, requireTools, unmountAll } from './unpack-support.js';

const run = promisify(execFile);

const flavours: [Compression, MediaTypeSet][] = [
  ['gzip', 'oci'],
  ['zstd', 'oci'],
  ['none', 'oci'],
  ['gzip', 'docker'],
  ['none', 'docker'],
];

const fixtures: [string, (c: Compression, m: MediaTypeSet) => ImageSpec | Promise<ImageSpec>][] = [
  ['busybox', singleLayerBusybox],
  ['rules', multiLayerRules],
  ['large', (c, m) => largeImage(48, c, m)],
];

let work: string;
afterEach(unmountAll);
beforeAll(() => {
  requireTools('umoci', 'zstd', 'setfattr', 'getfattr', 'mknod', 'mount');
  work = mkdtempSync('/tmp/skiff-images-unpack-');
});
afterAll(async () => {
  await unmountAll();
  rmSync(work, { recursive: true, force: true });
});

/** overlayfs reports the link count of the layer's inode, which still counts names a higher layer whited out. */
function withoutNlink(tree: Record<string, TreeRecord>): Record<string, TreeRecord> {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, { ...v, nlink: undefined }]));
}

describe.each(fixtures)('%s image unpacks as umoci does', (name, makeSpec) => {
  let layout: string;
  let reference: Record<string, TreeRecord>;
  let referenceDiffIds: string[];

  beforeAll(async () => {
    layout = join(work, name);
    for (const [c, m] of flavours) await buildImage(layout, `${c}-${m}`, await makeSpec(c, m));
    const bundle = join(work, `${name}-umoci`);
    await run('umoci', ['unpack', '--image', `${layout}:gzip-oci`, bundle]);
    // umoci never writes security.* labels; an SELinux host would add them to our trees only.
    reference = await describeTree(join(bundle, 'rootfs'), { mtimes: true, ignoreXattrs: /^security\.selinux$/ });
    referenceDiffIds = readLayoutImage(layout, 'gzip-oci').diffIds;
    rmSync(bundle, { recursive: true, force: true });
    if (name === 'rules') {
      // The comparison is only as good as the reference: make sure umoci applied every rule.
      expect(reference['dev/null']).toMatchObject({ type: 'char', rdev: '1:3' });
      expect(reference['xattr-file']?.xattrs).toEqual({ 'user.skiff.test': '0x6368616e676564' });
      expect(reference['modes/setuid-owned']).toMatchObject({ mode: '4750', uid: 1000 });
      expect(Object.keys(reference).filter((p) => p.startsWith('opq/'))).toEqual(['opq/new-after', 'opq/new-before']);
      expect(reference['hl/cross-layer']).toMatchObject({ nlink: 2 });
      expect(reference['data/gone']).toBeUndefined();
      expect(reference[`long/${'n'.repeat(120)}`]?.xattrs).toEqual({ 'user.skiff.long': '0x796573' });
      expect(reference['ünïcode-名前']).toMatchObject({ type: 'file', size: 11 });
      // Binary xattrs (PAX values that are not UTF-8) must arrive byte for byte.
      expect(reference['bin/ping']?.xattrs).toEqual({ 'security.capability': '0x0100000200200000000000000000000000000000', 'user.skiff.bin': '0xff008041' });
    }
  }, 300_000);

  describe.each(flavours)('%s %s', (c, m) => {
    it('flattened tree equals umoci unpack (path, type, mode, owner, size, sha256, link target, xattrs, nlink, file mtimes)', async () => {
      const img = readLayoutImage(layout, `${c}-${m}`);
      expect(img.diffIds).toEqual(referenceDiffIds);
      const target = join(work, `${name}-${c}-${m}-flat`);
      try {
        const applied = await flattenLayers(img.layerPaths, target, { diffIds: img.diffIds });
        expect(applied.map((a) => a.compression)).toEqual(img.layerPaths.map(() => c));
        const ours = await describeTree(target, { mtimes: true, ignoreXattrs: /^security\.selinux$/ });
        expect(diffTrees(ours, reference, ['skiff', 'umoci'])).toEqual([]);
      } finally {
        rmSync(target, { recursive: true, force: true });
      }
    });

    it('snapshot stack mounted as a read-only overlay equals umoci unpack', async () => {
      const img = readLayoutImage(layout, `${c}-${m}`);
      const snapshots = new Snapshotter(join(work, `${name}-${c}-${m}-snapshots`));
      const ids = chainIds(img.diffIds);
      const mnt = join(work, `${name}-${c}-${m}-mnt`);
      try {
        for (const [i, layerPath] of img.layerPaths.entries()) {
          await snapshots.apply({ chainId: ids[i]!, parentChainId: ids[i - 1], diffId: img.diffIds[i]!, layerPath });
        }
        mkdirSync(mnt);
        await mountOverlay(mnt, { lower: await snapshots.lowerDirs(ids.at(-1)!) });
        mounted.add(mnt);
        const ours = await describeTree(mnt, { mtimes: true, ignoreXattrs: /^security\.selinux$/ });
        expect(diffTrees(withoutNlink(ours), withoutNlink(reference), ['skiff overlay', 'umoci'])).toEqual([]);
      } finally {
        await unmountAll();
        rmSync(snapshots.root, { recursive: true, force: true });
        rmSync(mnt, { recursive: true, force: true });
      }
    });
  });
});
