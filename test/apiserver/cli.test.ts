// `skiff server` as a user starts it: the built binary, port 0, a temp data dir. It prints
// the kubeconfig path, serves HTTPS with that kubeconfig's credentials, keeps its CA across
// a restart, and exits 0 on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { call, credentialsFrom } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../..');

function startCli(dataDir: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(REPO, 'bin/skiff'), 'server', '--data-dir', dataDir, '--https-port', '0', '--disable-agent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

describe('skiff server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-cli-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves with the kubeconfig it writes, restarts on the same state, and stops on SIGTERM', async () => {
    expect(existsSync(join(REPO, 'dist/cli/index.js')), 'skiff is not built: run `npm run build`').toBe(true);
    const kubeconfig = join(dataDir, 'kubeconfig.yaml');
    for (let run = 0; run < 2; run++) {
      rmSync(kubeconfig, { force: true });
      const s = startCli(dataDir);
      children.push(s.child);
      await vi.waitFor(() => expect(s.output()).toContain(`admin kubeconfig written to ${kubeconfig}`), { timeout: 30_000, interval: 100 });
      const creds = credentialsFrom(kubeconfig);
      expect(s.output()).toContain(creds.server);
      expect((await call(creds, 'GET', '/readyz', undefined, { anonymous: true })).status).toBe(200);
      if (run === 0) {
        expect((await call(creds, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'kept' } })).status).toBe(201);
      } else {
        expect((await call(creds, 'GET', '/api/v1/namespaces/default/configmaps/kept')).status).toBe(200);
      }
      expect(readFileSync(join(dataDir, 'pki/ca.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    }
  });
});
