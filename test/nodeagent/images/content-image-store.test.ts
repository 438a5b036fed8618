// The image list: two writers that do not share memory (the agent and a `skiff image`
// command) update it at once without losing a change; a leftover lock of a dead process
// does not block anyone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore, parseImageConfig, type ImageRecord } from '../../../nodeagent/images/index.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'skiff-images-store-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(name: string): ImageRecord {
  const d = 'sha256:' + '0'.repeat(64);
  return {
    name, digest: d, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: 1 },
    configDigest: d, layers: [], chainIds: [], config: parseImageConfig({}), platform: { os: 'linux', architecture: 'amd64' },
    size: 1, pulledAt: new Date().toISOString(), pinned: false,
  };
}

describe('image store', () => {
  it('keeps every update from two independent writers', async () => {
    const file = join(dir, 'images.json');
    const a = new ImageStore(file);
    const b = new ImageStore(file);
    await Promise.all(Array.from({ length: 20 }, (_, i) => [a.put(record(`a/${i}`)), b.put(record(`b/${i}`))]).flat());
    expect((await new ImageStore(file).list()).length).toBe(40);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const file = join(dir, 'images.json');
    writeFileSync(`${file}.lock`, '999999999');
    const store = new ImageStore(file);
    await store.put(record('x'));
    expect((await store.list()).map((r) => r.name)).toEqual(['x']);
  });

  it('reads the run config fields the runtime uses, with safe defaults', () => {
    expect(parseImageConfig({ config: { Entrypoint: null, Cmd: ['sh'], Env: null, ExposedPorts: { '53/udp': {} }, StopSignal: 'SIGQUIT', User: '' } }))
      .toEqual({ entrypoint: undefined, cmd: ['sh'], env: [], workingDir: undefined, user: undefined, exposedPorts: ['53/udp'], labels: {}, stopSignal: 'SIGQUIT', volumes: [] });
  });
});
