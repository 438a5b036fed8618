// The image builder itself: layouts are valid (every blob matches its digest and size, skopeo
// copies them), diffIDs and configs are right, and the multi-arch index has the shape
// registries serve (amd64, arm64, and an unknown/unknown attestation manifest).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompressLayer } from '../../../nodeagent/images/decompress.js';
import { buildImage, buildMultiArchImage, MEDIA, multiLayerRules, singleLayerBusybox, type Descriptor } from '../../harness/oci-image.js';
import { requireTools } from './unpack-support.js';

const run = promisify(execFile);
let work: string;

beforeAll(() => {
  requireTools('skopeo', 'zstd');
  work = mkdtempSync('/tmp/skiff-images-fixtures-');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const blobPath = (layout: string, d: { digest: string }) => join(layout, 'blobs/sha256', d.digest.slice(7));
const json = (layout: string, d: { digest: string }) => JSON.parse(readFileSync(blobPath(layout, d), 'utf8'));

/** Walks index.json down to every blob, checking each one's digest and size. */
function checkBlobs(layout: string): number {
  let count = 0;
  const visit = (d: Descriptor & { layers?: Descriptor[] }) => {
    const bytes = readFileSync(blobPath(layout, d));
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(d.digest);
    expect(bytes.length).toBe(d.size);
    count++;
    if ([MEDIA.ociIndex, MEDIA.dockerList].includes(d.mediaType as never)) for (const m of json(layout, d).manifests) visit(m);
    if ([MEDIA.ociManifest, MEDIA.dockerManifest].includes(d.mediaType as never)) {
      const m = json(layout, d);
      visit(m.config);
      for (const l of m.layers) visit(l);
    }
  };
  for (const m of JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests) visit(m);
  return count;
}

describe('OCI image builder', () => {
  it('writes valid layouts whose config diffIDs match the uncompressed layers', async () => {
    const layout = join(work, 'single');
    for (const c of ['gzip', 'zstd', 'none'] as const) {
      const img = await buildImage(layout, `rules-${c}`, multiLayerRules(c));
      for (const l of img.layers) {
        const h = createHash('sha256');
        for await (const chunk of decompressLayer(createReadStream(l.path))) h.update(chunk as Buffer);
        expect(`sha256:${h.digest('hex')}`).toBe(l.diffId);
        expect(statSync(l.path).size).toBe(l.size);
      }
      const config = json(layout, img.config);
      expect(config.rootfs.diff_ids).toEqual(img.diffIds);
      expect(config.config).toEqual({ Entrypoint: ['/bin/true'], Env: ['A=1', 'B=two words'], WorkingDir: '/data', User: '1000:1000' });
      expect(json(layout, img.manifest).layers.map((l: Descriptor) => l.mediaType)).toEqual(
        img.layers.map(() => (c === 'gzip' ? MEDIA.ociLayerGzip : c === 'zstd' ? MEDIA.ociLayerZstd : MEDIA.ociLayer)),
      );
      await run('skopeo', ['copy', '--quiet', `oci:${layout}:rules-${c}`, `oci:${join(work, 'copy')}:rules-${c}`]);
    }
    // Same content, same diffIDs, whatever the compression.
    expect(checkBlobs(layout)).toBeGreaterThan(10);
  });

  it('writes Docker schema2 media types on request and refuses zstd there', async () => {
    const layout = join(work, 'docker');
    const img = await buildImage(layout, 'bb', await singleLayerBusybox('gzip', 'docker'));
    const manifest = json(layout, img.manifest);
    expect(manifest.mediaType).toBe(MEDIA.dockerManifest);
    expect(manifest.config.mediaType).toBe(MEDIA.dockerConfig);
    expect(manifest.layers[0].mediaType).toBe(MEDIA.dockerLayerGzip);
    checkBlobs(layout);
    await expect(buildImage(layout, 'z', multiLayerRules('zstd', 'docker'))).rejects.toThrow(/no zstd/);
  });

  it('builds a multi-arch index with an attestation manifest that skopeo copies whole', async () => {
    const layout = join(work, 'multi');
    const built = await buildMultiArchImage(layout, 'v1', { amd64: multiLayerRules(), arm64: await singleLayerBusybox() });
    const index = json(layout, built.index);
    expect(index.mediaType).toBe(MEDIA.ociIndex);
    expect(index.manifests.map((m: Descriptor) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual(['linux/amd64', 'linux/arm64', 'unknown/unknown']);
    expect(index.manifests[2].annotations).toEqual({
      'vnd.docker.reference.digest': built.images['linux/amd64']!.manifest.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    });
    expect(checkBlobs(layout)).toBeGreaterThan(8);
    await run('skopeo', ['copy', '--quiet', '--all', `oci:${layout}:v1`, `oci:${join(work, 'multi-copy')}:v1`]);
    const { stdout } = await run('skopeo', ['inspect', '--override-arch', 'arm64', `oci:${layout}:v1`]);
    // skopeo picks the arm64 child (its Layers are the busybox layer), not the attestation.
    expect(JSON.parse(stdout)).toMatchObject({ Architecture: 'arm64', Layers: [built.images['linux/arm64']!.layers[0]!.digest] });
  });
});
