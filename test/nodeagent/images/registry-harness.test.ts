// The registry harness itself: each auth mode accepts a push and enforces its credentials,
// so a pull test that fails points at the client, not at the fixture.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RegistryAuth } from '../../harness/registry.js';
import { writeMultiArchLayout, writeOciLayout } from './pull-fixtures.js';

const run = promisify(execFile);
let layout: string;
let multi: string;

beforeAll(async () => {
  layout = mkdtempSync(join(tmpdir(), 'skiff-images-harness-'));
  await writeOciLayout(join(layout, 'one'), { layers: [{ 'a/b.txt': 'hello' }, { 'c.txt': 'x' }] }, 'v1');
  multi = join(layout, 'multi');
  await writeMultiArchLayout(multi, [{ layers: [{ x: 'amd' }] }, { layers: [{ x: 'arm' }], architecture: 'arm64', variant: 'v8' }], 'v1');
});
afterAll(() => rmSync(layout, { recursive: true, force: true }));

const modes: Array<[string, RegistryAuth]> = [
  ['plain', { kind: 'none' }],
  ['basic', { kind: 'basic', username: 'alice', password: 's3cret' }],
  ['token', { kind: 'token', users: { alice: 's3cret' } }],
];

describe.each(modes)('registry harness (%s)', (name, auth) => {
  it('accepts a push and serves it back, with credentials only when required', async () => {
    const registry = await startRegistry(auth);
    try {
      await registry.push(join(layout, 'one'), 'test/one:v1');
      await registry.push(join(layout, 'one'), 'test/two:v1', { format: 'v2s2' });
      await registry.push(multi, 'test/multi:v1', { all: true });
      const inspect = (creds: string[]) => run('skopeo', ['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${registry.host}/test/multi:v1`]);
      const { stdout } = await inspect(name === 'plain' ? [] : ['--creds', 'alice:s3cret']);
      expect(JSON.parse(stdout).mediaType).toBe('application/vnd.oci.image.index.v1+json');
      if (name !== 'plain') await expect(inspect([])).rejects.toThrow(/unauthorized|authentication required/i);
      if (name === 'token') expect(registry.tokenServer!.requests.some((r) => r.user === 'alice')).toBe(true);
    } finally {
      await registry.stop();
    }
  });
});
