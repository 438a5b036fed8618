// Small OCI layouts for the pull tests, written directly (blobs + manifest + index.json) so
// the registry tests do not depend on the layer-unpacking harness.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export interface LayerFiles { [path: string]: string | Buffer }

export interface BuiltImage {
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
  diffIds: string[];
}

export interface ImageSpec {
  layers: LayerFiles[];
  architecture?: string;
  variant?: string;
  config?: Record<string, unknown>;
  /** Record a wrong diff_id for this layer index in the config (a lying image). */
  wrongDiffId?: number;
}

function sha256(data: Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** A tar of `files` (parents created as needed, fixed mtime, root-owned). */
export async function tarOf(files: LayerFiles): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((r) => p.on('end', () => r()));
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const mtime = new Date(1_700_000_000_000);
  for (const d of [...dirs].sort()) p.entry({ name: d + '/', type: 'directory', mode: 0o755, mtime });
  for (const [name, content] of Object.entries(files)) {
    p.entry({ name, mode: 0o644, mtime }, Buffer.from(content));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function writeBlob(layout: string, data: Buffer): string {
  const digest = sha256(data);
  const dir = join(layout, 'blobs', 'sha256');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, digest.slice(7)), data);
  return digest;
}

async function writeImage(layout: string, spec: ImageSpec): Promise<BuiltImage & { manifestSize: number }> {
  const layerDescs = [];
  const diffIds: string[] = [];
  for (const files of spec.layers) {
    const tar = await tarOf(files);
    diffIds.push(sha256(tar));
    const gz = gzipSync(tar);
    layerDescs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: writeBlob(layout, gz), size: gz.length });
  }
  const config = Buffer.from(JSON.stringify({
    architecture: spec.architecture ?? 'amd64',
    ...(spec.variant ? { variant: spec.variant } : {}),
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: spec.config ?? { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds.map((d, i) => (i === spec.wrongDiffId ? sha256(Buffer.from('not this layer')) : d)) },
  }));
  const configDigest = writeBlob(layout, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layerDescs,
  }));
  return {
    manifestDigest: writeBlob(layout, manifest), manifestSize: manifest.length,
    configDigest, layerDigests: layerDescs.map((l) => l.digest), diffIds,
  };
}

function writeLayoutFiles(layout: string, manifests: object[]): void {
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}

/** Writes a single-platform OCI layout at `layout` tagged `tag`. */
export async function writeOciLayout(layout: string, spec: ImageSpec, tag = 'latest'): Promise<BuiltImage> {
  mkdirSync(layout, { recursive: true });
  const img = await writeImage(layout, spec);
  writeLayoutFiles(layout, [{
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.manifestDigest, size: img.manifestSize,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  }]);
  return img;
}

/**
 * Writes an OCI layout whose `tag` is an image index over `platforms`, plus an attestation-like
 * `unknown/unknown` entry placed first so a client that picks the first entry picks wrong.
 */
export async function writeMultiArchLayout(layout: string, platforms: ImageSpec[], tag = 'latest')
  : Promise<{ indexDigest: string; images: BuiltImage[] }> {
  mkdirSync(layout, { recursive: true });
  const images = [];
  const entries: object[] = [];
  const attestation = await writeImage(layout, { layers: [{ 'attestation.json': '{}' }], architecture: 'unknown' });
  entries.push({
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: attestation.manifestDigest, size: attestation.manifestSize,
    platform: { os: 'unknown', architecture: 'unknown' },
  });
  for (const spec of platforms) {
    const img = await writeImage(layout, spec);
    images.push(img);
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.manifestDigest, size: img.manifestSize,
      platform: { os: 'linux', architecture: spec.architecture ?? 'amd64', ...(spec.variant ? { variant: spec.variant } : {}) },
    });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }));
  const indexDigest = writeBlob(layout, index);
  writeLayoutFiles(layout, [{
    mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  }]);
  return { indexDigest, images };
}
