// Pulls from a real docker-registry 2.8 (plain, basic auth, token auth) and from a small
// misbehaving server of our own: what lands in the content store, what a failure leaves
// behind (nothing), and what a user reads when it fails.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService, type RegistriesConfig } from '../../../nodeagent/images/index.js';
import { startRegistry, type TestRegistry } from '../../harness/registry.js';
import { writeMultiArchLayout, writeOciLayout, type BuiltImage } from './pull-fixtures.js';
import { startStaticRegistry } from './pull-static-registry.js';

let work: string;
let layout: string;
let image: BuiltImage;
let multi: { indexDigest: string; images: BuiltImage[] };
let multiLayout: string;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'skiff-images-pull-'));
  layout = join(work, 'layout');
  image = await writeOciLayout(layout, {
    layers: [{ 'etc/os-release': 'ID=skiff\n', 'bin/hello': randomBytes(300_000) }, { 'data/big': randomBytes(2 << 20) }],
    config: { Entrypoint: ['/bin/hello'], Cmd: ['--flag'], Env: ['PATH=/bin', 'A=b'], WorkingDir: '/data', User: '1000:1000', ExposedPorts: { '80/tcp': {} }, Labels: { app: 'skiff' } },
  }, 'v1');
  multiLayout = join(work, 'multi');
  multi = await writeMultiArchLayout(multiLayout, [
    { layers: [{ arch: 'arm64' }], architecture: 'arm64', variant: 'v8' },
    { layers: [{ arch: 'amd64' }], architecture: 'amd64' },
  ], 'v1');
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(work, { recursive: true, force: true });
});

async function newService(registries?: RegistriesConfig, platform?: { os: string; architecture: string; variant?: string }): Promise<ImageService> {
  const svc = await ImageService.open({ root: mkdtempSync(join(work, 'root-')), registries, platform, retryDelayMs: 5 });
  cleanups.push(() => svc.close());
  return svc;
}

async function registry(auth: Parameters<typeof startRegistry>[0]): Promise<TestRegistry> {
  const r = await startRegistry(auth);
  cleanups.push(() => r.stop());
  return r;
}

function sha256File(path: string): string {
  return 'sha256:' + createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The store holds no blob and no ingest: what every failed first pull must leave. */
async function expectEmptyStore(svc: ImageService): Promise<void> {
  expect(await svc.content.list()).toEqual([]);
  expect(await svc.content.ingests()).toEqual([]);
  expect(await svc.list()).toEqual([]);
}

describe('pull from docker-registry (no auth)', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await registry({ kind: 'none' });
    await reg.push(layout, 'skiff/app:v1');
    await reg.push(layout, 'skiff/docker:v1', { format: 'v2s2' });
    await reg.push(multiLayout, 'skiff/multi:v1', { all: true });
    await reg.push(multiLayout, 'skiff/multi-docker:v1', { all: true, format: 'v2s2' });
  });

  it('stores verified blobs, records the image with its run config, and re-pulls from one HEAD', async () => {
    const svc = await newService();
    const { image: rec, fetched } = await svc.pull(`${reg.host}/skiff/app:v1`);
    expect(fetched).toBe(true);
    expect(rec.name).toBe(`${reg.host}/skiff/app:v1`);
    expect(rec.digest).toBe(image.manifestDigest);
    expect(rec.configDigest).toBe(image.configDigest);
    expect(rec.layers.map((l) => l.diffId)).toEqual(image.diffIds);
    expect(rec.chainIds[0]).toBe(image.diffIds[0]);
    expect(rec.config).toMatchObject({ entrypoint: ['/bin/hello'], cmd: ['--flag'], env: ['PATH=/bin', 'A=b'], workingDir: '/data', user: '1000:1000', exposedPorts: ['80/tcp'], labels: { app: 'skiff' } });
    for (const d of [...image.layerDigests, image.configDigest, image.manifestDigest]) {
      expect(sha256File(svc.content.path(d))).toBe(d);
    }
    expect(await svc.content.ingests()).toEqual([]);
    // Every layer is unpacked into its chainID snapshot; the rootfs lowerdirs list the top first.
    const lower = await svc.lowerDirs(rec.name);
    expect(lower).toEqual([...rec.chainIds].reverse().map((c) => join(svc.root, 'snapshots', c.slice(7), 'fs')));
    expect(readFileSync(join(lower[1]!, 'etc/os-release'), 'utf8')).toBe('ID=skiff\n');

    const t0 = performance.now();
    const again = await svc.pull(`${reg.host}/skiff/app:v1`);
    const warmMs = performance.now() - t0;
    expect(again.fetched).toBe(false);
    expect(warmMs).toBeLessThan(250);
  });

  it('ensure follows imagePullPolicy: IfNotPresent and Never use the local image without the network', async () => {
    const own = await startRegistry({ kind: 'none' });
    await own.push(layout, 'skiff/app:v1');
    const svc = await newService();
    const ref = `${own.host}/skiff/app:v1`;
    await expect(svc.ensure(ref, 'Never')).rejects.toMatchObject({ code: 'never-pull' });
    expect((await svc.ensure(ref, 'IfNotPresent')).digest).toBe(image.manifestDigest);
    await own.stop();
    expect((await svc.ensure(ref, 'IfNotPresent')).digest).toBe(image.manifestDigest);
    expect((await svc.ensure(ref, 'Never')).digest).toBe(image.manifestDigest);
    await expect(svc.ensure(ref, 'Always')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('pulls a Docker schema2 image (as pushed with --format v2s2)', async () => {
    const svc = await newService();
    const { image: rec } = await svc.pull(`${reg.host}/skiff/docker:v1`);
    expect(rec.manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(rec.layers[0]!.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(rec.layers.map((l) => l.diffId)).toEqual(image.diffIds);
  });

  it('resolves a multi-arch index to this platform, skipping attestation entries', async () => {
    const svc = await newService();
    const { image: rec } = await svc.pull(`${reg.host}/skiff/multi:v1`);
    expect(rec.digest).toBe(multi.indexDigest);
    expect(rec.manifest.digest).toBe(multi.images[1]!.manifestDigest);
    expect(rec.platform.architecture).toBe('amd64');

    const arm = await newService(undefined, { os: 'linux', architecture: 'arm64' });
    expect((await arm.pull(`${reg.host}/skiff/multi:v1`)).image.manifest.digest).toBe(multi.images[0]!.manifestDigest);

    // The same images as a Docker manifest list with schema2 children.
    const docker = await newService();
    const { image: fromList } = await docker.pull(`${reg.host}/skiff/multi-docker:v1`);
    expect(fromList.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(fromList.manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(fromList.platform.architecture).toBe('amd64');
    expect(fromList.layers.map((l) => l.diffId)).toEqual(multi.images[1]!.diffIds);

    const s390 = await newService(undefined, { os: 'linux', architecture: 's390x' });
    await expect(s390.pull(`${reg.host}/skiff/multi:v1`)).rejects.toThrow(/no image for linux\/s390x \(offered: linux\/arm64\/v8, linux\/amd64\)/);
    await expectEmptyStore(s390);
  });

  it('pulls by digest, and two racing pulls of one image download each blob once', async () => {
    const svc = await newService();
    const byDigest = `${reg.host}/skiff/app@${image.manifestDigest}`;
    const [a, b] = await Promise.all([svc.pull(byDigest), svc.pull(`${reg.host}/skiff/app:v1`)]);
    expect(a.image.configDigest).toBe(b.image.configDigest);
    expect((await svc.list()).map((i) => i.name).sort()).toEqual([byDigest, `${reg.host}/skiff/app:v1`].sort());
  });

  it('fails with not-found for a missing tag and leaves nothing', async () => {
    const svc = await newService();
    const err = await svc.pull(`${reg.host}/skiff/app:nope`).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'not-found' });
    expect((err as Error).message).toMatch(new RegExp(`^pull ${reg.host}/skiff/app:nope: `));
    await expectEmptyStore(svc);
  });

  it('refuses a tampered blob and leaves no blob and no ingest behind', async () => {
    const r = await registry({ kind: 'none' });
    await r.push(layout, 'skiff/tampered:v1');
    const path = r.blobPath(image.layerDigests[1]!);
    const data = readFileSync(path);
    data[data.length - 10] ^= 0xff;
    writeFileSync(path, data);
    const svc = await newService();
    const err = await svc.pull(`${r.host}/skiff/tampered:v1`).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'digest-mismatch' });
    expect((err as Error).message).toContain(image.layerDigests[1]);
    await expectEmptyStore(svc);
  });
});

describe('pull of a lying image', () => {
  it('fails when a layer does not match its diff_id, leaving no blob and no snapshot', async () => {
    const lying = join(work, 'lying');
    await writeOciLayout(lying, { layers: [{ a: '1' }, { b: '2' }], wrongDiffId: 1 }, 'v1');
    const reg = await registry({ kind: 'none' });
    await reg.push(lying, 'skiff/lying:v1');
    const svc = await newService();
    const err = await svc.pull(`${reg.host}/skiff/lying:v1`).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/unpack layer 1 /);
    await expectEmptyStore(svc);
    // The pull may be cut before any layer reached the snapshotter (no snapshots dir at all).
    const snapshots = join(svc.root, 'snapshots');
    expect(existsSync(snapshots) ? readdirSync(snapshots).filter((n) => !n.startsWith('.')) : []).toEqual([]);
  });
});

describe('pull with credentials', () => {
  it('basic auth: succeeds with configs.<host>.auth, fails clearly without, leaving nothing', async () => {
    const reg = await registry({ kind: 'basic', username: 'alice', password: 's3cret' });
    await reg.push(layout, 'private/app:v1');
    const anonymous = await newService();
    const err = await anonymous.pull(`${reg.host}/private/app:v1`).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'unauthorized' });
    expect((err as Error).message).toContain(`configs."${reg.host}".auth`);
    await expectEmptyStore(anonymous);

    const wrong = await newService({ mirrors: {}, configs: { [reg.host]: { auth: { username: 'alice', password: 'nope' } } } });
    await expect(wrong.pull(`${reg.host}/private/app:v1`)).rejects.toMatchObject({ code: 'unauthorized' });

    const svc = await newService({ mirrors: {}, configs: { [reg.host]: { auth: { auth: Buffer.from('alice:s3cret').toString('base64') } } } });
    expect((await svc.pull(`${reg.host}/private/app:v1`)).image.digest).toBe(image.manifestDigest);
  });

  it('token auth: fetches one token per repository scope with Basic credentials and reuses it', async () => {
    const reg = await registry({ kind: 'token', users: { alice: 's3cret' } });
    await reg.push(layout, 'private/app:v1');
    const before = reg.tokenServer!.requests.length;
    const svc = await newService({ mirrors: {}, configs: { [reg.host]: { auth: { username: 'alice', password: 's3cret' } } } });
    await svc.pull(`${reg.host}/private/app:v1`);
    const mine = reg.tokenServer!.requests.slice(before);
    expect(mine).toEqual([{ scope: ['repository:private/app:pull'], service: 'skiff-test-registry', user: 'alice', method: 'GET' }]);

    const anonymous = await newService();
    const err = await anonymous.pull(`${reg.host}/private/app:v1`).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'unauthorized' });
    expect((err as Error).message).toContain(`configs."${reg.host}".auth`);
    await expectEmptyStore(anonymous);
  });

  it('token auth: an identity_token is exchanged with an OAuth2 refresh_token POST', async () => {
    const reg = await registry({ kind: 'token', users: { alice: 's3cret' }, refreshTokens: { alice: 'refresh-abc' } });
    await reg.push(layout, 'private/app:v1');
    const svc = await newService({ mirrors: {}, configs: { [reg.host]: { auth: { identity_token: 'refresh-abc' } } } });
    await svc.pull(`${reg.host}/private/app:v1`);
    expect(reg.tokenServer!.requests.at(-1)).toEqual({ scope: ['repository:private/app:pull'], service: 'skiff-test-registry', user: 'alice', method: 'POST' });

    const revoked = await newService({ mirrors: {}, configs: { [reg.host]: { auth: { identity_token: 'stale' } } } });
    await expect(revoked.pull(`${reg.host}/private/app:v1`)).rejects.toMatchObject({ code: 'unauthorized' });
    await expectEmptyStore(revoked);
  });

  it('token auth: anonymous tokens work when the token server grants them (Docker Hub public repos)', async () => {
    const reg = await registry({ kind: 'token', users: { alice: 's3cret' }, anonymous: true });
    await reg.push(layout, 'public/app:v1');
    const svc = await newService();
    await svc.pull(`${reg.host}/public/app:v1`);
    expect(reg.tokenServer!.requests.at(-1)).toMatchObject({ user: null, scope: ['repository:public/app:pull'] });
  });
});

describe('pull from a misbehaving server', () => {
  it('resumes a cut download with Range and gets a 206', async () => {
    const srv = await startStaticRegistry({ layout, truncate: { digest: image.layerDigests[1]!, after: 100_000, times: 1 } });
    cleanups.push(() => srv.stop());
    const svc = await newService();
    await svc.pull(`${srv.host}/skiff/app:v1`);
    expect(sha256File(svc.content.path(image.layerDigests[1]!))).toBe(image.layerDigests[1]);
    const gets = srv.requests.filter((r) => r.path.endsWith(image.layerDigests[1]!) && r.method === 'GET');
    expect(gets.map((r) => r.headers.range)).toEqual([undefined, 'bytes=100000-']);
  });

  it('resumes when the server ignores Range (200: skips what it already has)', async () => {
    const srv = await startStaticRegistry({ layout, ignoreRange: true, truncate: { digest: image.layerDigests[1]!, after: 150_000, times: 2 } });
    cleanups.push(() => srv.stop());
    const svc = await newService();
    await svc.pull(`${srv.host}/skiff/app:v1`);
    expect(sha256File(svc.content.path(image.layerDigests[1]!))).toBe(image.layerDigests[1]);
  });

  it('fails on a blob that is always cut short, leaving nothing', async () => {
    const srv = await startStaticRegistry({ layout, truncate: { digest: image.layerDigests[0]!, after: 1000 } });
    cleanups.push(() => srv.stop());
    const svc = await newService();
    const err = await svc.pull(`${srv.host}/skiff/app:v1`).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as Error).message).toContain(image.layerDigests[0]);
    await expectEmptyStore(svc);
  });

  it.each(['method-not-allowed', 'no-digest'] as const)('resolves by GET and hashing when manifest HEAD gives %s', async (manifestHead) => {
    const srv = await startStaticRegistry({ layout, manifestHead });
    cleanups.push(() => srv.stop());
    const svc = await newService();
    expect((await svc.pull(`${srv.host}/skiff/app:v1`)).image.digest).toBe(image.manifestDigest);
    // The body fetched to resolve is the one used: one manifest GET, not two.
    expect(srv.requests.filter((r) => r.method === 'GET' && r.path.includes('/manifests/')).length).toBe(1);
  });

  it('downloads each blob once when two pulls of the same image race', async () => {
    const srv = await startStaticRegistry({ layout });
    cleanups.push(() => srv.stop());
    const svc = await newService();
    await Promise.all([svc.pull(`${srv.host}/skiff/app:v1`), svc.pull(`${srv.host}/skiff/app@${image.manifestDigest}`)]);
    const blobGets = srv.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).map((r) => r.path.split('/').pop());
    expect(blobGets.sort()).toEqual([image.configDigest, ...image.layerDigests].sort());
  });

  it.each([429, 503])('retries blob GETs answered %i and succeeds', async (status) => {
    const srv = await startStaticRegistry({ layout, failBlobs: { status, times: 3 } });
    cleanups.push(() => srv.stop());
    const svc = await newService();
    expect((await svc.pull(`${srv.host}/skiff/app:v1`)).image.digest).toBe(image.manifestDigest);
    expect(srv.requests.filter((r) => r.path.includes('/blobs/')).length).toBe(3 + 3);
  });

  it('cancels a pull through its signal, removing everything it wrote', async () => {
    const srv = await startStaticRegistry({ layout, stall: { digest: image.layerDigests[1]!, after: 500_000 } });
    cleanups.push(() => srv.stop());
    const svc = await newService();
    const controller = new AbortController();
    const pulling = svc.pull(`${srv.host}/skiff/app:v1`, {
      signal: controller.signal,
      onProgress: (layers) => { if (layers[1]!.downloaded >= 500_000) controller.abort(new Error('interrupted')); },
    });
    await expect(pulling).rejects.toThrow(/^pull .*: interrupted$/);
    await expectEmptyStore(svc);
    // The pull may be cut before any layer reached the snapshotter (no snapshots dir at all).
    const snapshots = join(svc.root, 'snapshots');
    expect(existsSync(snapshots) ? readdirSync(snapshots).filter((n) => !n.startsWith('.')) : []).toEqual([]);
  });

  it('follows a blob redirect to another origin without sending it the Authorization header', async () => {
    const blobHost = await startStaticRegistry({ layout });
    const auth = 'Basic ' + Buffer.from('alice:s3cret').toString('base64');
    const srv = await startStaticRegistry({ layout, redirectBlobsTo: blobHost.url, requireAuth: auth });
    cleanups.push(() => srv.stop(), () => blobHost.stop());
    const svc = await newService({ mirrors: {}, configs: { [srv.host]: { auth: { username: 'alice', password: 's3cret' } } } });
    await svc.pull(`${srv.host}/skiff/app:v1`);
    expect(blobHost.requests.length).toBeGreaterThanOrEqual(3);
    expect(blobHost.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(srv.requests.filter((r) => r.path.includes('/blobs/')).every((r) => r.headers.authorization === auth)).toBe(true);
  });

  it('refuses schema1, a Content-Type that contradicts mediaType, and unknown layer types, storing nothing', async () => {
    const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', image.manifestDigest.slice(7)), 'utf8'));
    const cases: Array<[Buffer, string, RegExp]> = [
      [Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'v1', fsLayers: [] })), 'application/vnd.docker.distribution.manifest.v1+prettyjws', /schema1/],
      [Buffer.from(JSON.stringify(manifest)), 'application/vnd.docker.distribution.manifest.v2+json', /disagrees with the Content-Type/],
      [Buffer.from(JSON.stringify({ ...manifest, layers: [{ ...manifest.layers[0], mediaType: 'application/vnd.example.unknown' }] })), 'application/vnd.oci.image.manifest.v1+json', /layers\[0\] has media type application\/vnd.example.unknown/],
    ];
    for (const [body, contentType, message] of cases) {
      const srv = await startStaticRegistry({ layout, overrideManifest: { body, contentType } });
      cleanups.push(() => srv.stop());
      const svc = await newService();
      await expect(svc.pull(`${srv.host}/skiff/app:v1`)).rejects.toThrow(message);
      await expectEmptyStore(svc);
    }
  });
});

describe('pull through a mirror that lost a blob', () => {
  it('fetches the missing layer from the registry itself', async () => {
    const origin = await registry({ kind: 'none' });
    const mirror = await registry({ kind: 'none' });
    await origin.push(layout, 'skiff/app:v1');
    await mirror.push(layout, 'skiff/app:v1');
    rmSync(mirror.blobPath(image.layerDigests[1]!));
    const svc = await newService({ mirrors: { [origin.host]: { endpoint: [`http://${mirror.host}`] } }, configs: {} });
    const { image: rec } = await svc.pull(`${origin.host}/skiff/app:v1`);
    expect(sha256File(svc.content.path(image.layerDigests[1]!))).toBe(image.layerDigests[1]);
    expect(rec.digest).toBe(image.manifestDigest);
  });
});

describe('pull over TLS', () => {
  it('trusts a registry through configs.<host>.tls.ca_file or insecure_skip_verify, and refuses it otherwise', async () => {
    const reg = await startRegistry({ kind: 'none' }, { tls: true });
    cleanups.push(() => reg.stop());
    await reg.push(layout, 'secure/app:v1');
    const ref = `${reg.host}/secure/app:v1`;

    const trusted = await newService({ mirrors: {}, configs: { [reg.host]: { tls: { ca_file: reg.caFile } } } });
    expect((await trusted.pull(ref)).image.digest).toBe(image.manifestDigest);

    const untrusted = await newService({ mirrors: {}, configs: { [reg.host]: { tls: {} } } });
    const err = await untrusted.pull(ref).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/self[- ]signed certificate.*configs."127.0.0.1:\d+".tls.ca_file/);
    await expectEmptyStore(untrusted);

    const insecure = await newService({ mirrors: {}, configs: { [reg.host]: { tls: { insecure_skip_verify: true } } } });
    expect((await insecure.pull(ref)).image.digest).toBe(image.manifestDigest);

    // Through a mirror: the TLS settings belong to the mirror's host.
    const mirrored = await newService({
      mirrors: { 'registry.skiff.invalid': { endpoint: [`https://${reg.host}`] } },
      configs: { [reg.host]: { tls: { ca_file: reg.caFile } } },
    });
    expect((await mirrored.pull('registry.skiff.invalid/secure/app:v1')).image.digest).toBe(image.manifestDigest);
  });
});

describe('registries config mirrors', () => {
  it('tries mirrors in order (a dead one, then one with a rewrite) before the registry', async () => {
    const mirror = await registry({ kind: 'none' });
    await mirror.push(layout, 'cache/skiff/app:v1');
    const dead = await startStaticRegistry({ layout });
    await dead.stop();
    const svc = await newService({
      mirrors: { 'registry.skiff.invalid': { endpoint: [`http://${dead.host}`, `http://${mirror.host}`], rewrite: { '^skiff/(.*)$': 'cache/skiff/$1' } } },
      configs: {},
    });
    const { image: rec } = await svc.pull('registry.skiff.invalid/skiff/app:v1');
    expect(rec.name).toBe('registry.skiff.invalid/skiff/app:v1');
    expect(rec.digest).toBe(image.manifestDigest);

    // When nothing has it, the error says what each endpoint answered.
    const err = await svc.pull('registry.skiff.invalid/skiff/app:missing').catch((e: Error) => e);
    expect((err as Error).message).toMatch(new RegExp(`mirror ${dead.host}: .*ECONNREFUSED.*; mirror ${mirror.host}: .*not found.*; registry registry.skiff.invalid: `));
  });
});
