// Garbage collection: rm + prune free exactly what no remaining image, running pull or
// caller-declared user (a container) references; shared base layers stay.
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../../nodeagent/images/index.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { writeOciLayout, type BuiltImage } from './pull-fixtures.js';

let work: string;
let reg: TestRegistry;
let a: BuiltImage;
let b: BuiltImage;
const base = { 'etc/base': 'shared base layer' };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'skiff-images-gc-'));
  a = await writeOciLayout(join(work, 'a'), { layers: [base, { 'app/a': 'only in a' }] }, 'v1');
  b = await writeOciLayout(join(work, 'b'), { layers: [base, { 'app/b': 'only in b' }] }, 'v1');
  reg = await startRegistry({ kind: 'none' });
  await reg.push(join(work, 'a'), 'gc/a:v1');
  await reg.push(join(work, 'b'), 'gc/b:v1');
});
afterAll(async () => {
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function snapshots(root: string): Promise<string[]> {
  return (await readdir(join(root, 'snapshots'))).filter((n) => !n.startsWith('.')).map((n) => `sha256:${n}`).sort();
}

describe('image GC', () => {
  it('rm frees only what the removed image alone used; inUse keeps a container\'s snapshots', async () => {
    const root = mkdtempSync(join(work, 'root-'));
    const svc = await ImageService.open({ root });
    try {
      const ia = (await svc.pull(`${reg.host}/gc/a:v1`)).image;
      const ib = (await svc.pull(`${reg.host}/gc/b:v1`)).image;
      expect(ia.chainIds[0]).toBe(ib.chainIds[0]);
      expect(await snapshots(root)).toEqual([...new Set([...ia.chainIds, ...ib.chainIds])].sort());

      const { gc } = await svc.remove(`${reg.host}/gc/a:v1`, { inUse: () => ({ chainIds: [] }) });
      expect(gc.removedBlobs.sort()).toEqual([a.manifestDigest, a.configDigest, a.layerDigests[1]!].sort());
      expect(gc.removedSnapshots).toEqual([ia.chainIds[1]]);
      expect(await svc.content.has(b.layerDigests[0]!)).toBe(true);
      expect(await snapshots(root)).toEqual([...ib.chainIds].sort());

      // A container still running image b after its name is gone keeps b's snapshots.
      await svc.images.remove(ib.name);
      const kept = await svc.prune(() => ({ chainIds: ib.chainIds }));
      expect(kept.removedSnapshots).toEqual([]);
      expect(kept.removedBlobs.length).toBe(4);
      const all = await svc.prune();
      expect(all.removedSnapshots).toEqual([ib.chainIds[1], ib.chainIds[0]]);
      expect(await svc.content.list()).toEqual([]);
    } finally {
      svc.close();
    }
  });

  it('refuses to remove a pinned image without force', async () => {
    const svc = await ImageService.open({ root: mkdtempSync(join(work, 'root-')) });
    try {
      await svc.pull(`${reg.host}/gc/a:v1`);
      await svc.setPinned(`${reg.host}/gc/a:v1`, true);
      await expect(svc.remove(`${reg.host}/gc/a:v1`)).rejects.toThrow(/pinned/);
      await svc.remove(`${reg.host}/gc/a:v1`, { force: true });
      expect(await svc.list()).toEqual([]);
    } finally {
      svc.close();
    }
  });
});
