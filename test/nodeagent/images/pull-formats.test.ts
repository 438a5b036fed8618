// Pull + unpack across the layer formats real images come in (gzip, zstd, uncompressed; OCI
// and Docker media types), built by the image harness and served by docker-registry; and the
// whiteout/opaque/hardlink rules image, whose flattened result must match umoci's unpack.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../../nodeagent/images/index.js';
import { buildImage, multiLayerRules, singleLayerBusybox, type Compression, type MediaTypeSet } from '../../harness/oci-image.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';

let work: string;
let reg: TestRegistry;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'skiff-images-formats-'));
  reg = await startRegistry({ kind: 'none' });
});
afterAll(async () => {
  await reg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('pull + unpack by layer format', () => {
  it.each<[Compression, MediaTypeSet]>([['gzip', 'oci'], ['zstd', 'oci'], ['none', 'oci'], ['gzip', 'docker'], ['none', 'docker']])(
    'busybox with %s layers, %s media types, runs from the unpacked rootfs', async (compression, mediaTypes) => {
      const name = `formats/busybox-${compression}-${mediaTypes}`;
      const layout = join(work, name.replace('/', '-'));
      await buildImage(layout, 'v1', await singleLayerBusybox(compression, mediaTypes));
      await reg.push(layout, `${name}:v1`, { format: mediaTypes === 'docker' ? 'v2s2' : 'oci' });
      const svc = await ImageService.open({ root: mkdtempSync(join(work, 'root-')) });
      try {
        const { image } = await svc.pull(`${reg.host}/${name}:v1`);
        const lower = await svc.lowerDirs(image.name);
        expect(statSync(join(lower[0]!, 'bin/busybox')).mode & 0o111).not.toBe(0);
        const out = join(work, `${name.replace('/', '-')}-rootfs`);
        await svc.unpack(image.name, out);
        expect(execFileSync(join(out, 'bin/busybox'), ['echo', 'ok']).toString()).toBe('ok\n');
      } finally {
        svc.close();
      }
    });

  it('flattens the whiteout/opaque/hardlink rules image exactly as umoci does', async () => {
    const layout = join(work, 'rules');
    const built = await buildImage(layout, 'v1', multiLayerRules('gzip'));
    await reg.push(layout, 'formats/rules:v1');
    const svc = await ImageService.open({ root: mkdtempSync(join(work, 'root-')) });
    try {
      await svc.pull(`${reg.host}/formats/rules:v1`);
      const ours = join(work, 'rules-ours');
      await svc.unpack(`${reg.host}/formats/rules:v1`, ours);
      const umoci = join(work, 'rules-umoci');
      execFileSync('umoci', ['raw', 'unpack', '--image', built.ref, umoci], { stdio: 'ignore' });
      const tree = (dir: string): string[] => execFileSync('find', ['.', '-printf', '%p %y %m %U:%G %s\\n'], { cwd: dir }).toString().split('\n').filter(Boolean).sort();
      expect(tree(ours)).toEqual(tree(umoci));
      for (const f of tree(ours).filter((l) => l.split(' ')[1] === 'f').map((l) => l.split(' ')[0]!)) {
        expect(readFileSync(join(ours, f)).equals(readFileSync(join(umoci, f))), f).toBe(true);
      }
      expect(existsSync(ours)).toBe(true);
    } finally {
      svc.close();
    }
  });
});
