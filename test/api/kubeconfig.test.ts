import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeconfigPaths, loadKubeconfig, renderKubeconfig } from '../../api/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-api-kubeconfig-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('kubeconfig', () => {
  it('reads the current context: server, inline CA, client certificate, namespace', () => {
    const path = write(
      'config',
      `apiVersion: v1
kind: Config
current-context: lab
clusters:
- name: lab
  cluster: { server: "https://10.0.0.1:6443/", certificate-authority-data: ${b64('CA PEM')} }
users:
- name: admin
  user: { client-certificate-data: ${b64('CERT PEM')}, client-key-data: ${b64('KEY PEM')} }
contexts:
- name: lab
  context: { cluster: lab, user: admin, namespace: team-a }
`,
    );
    expect(loadKubeconfig({ path })).toEqual({
      server: 'https://10.0.0.1:6443',
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
      namespace: 'team-a',
      context: 'lab',
    });
  });

  it('merges $KUBECONFIG files, first value wins, and resolves files relative to their kubeconfig', () => {
    write('ca.crt', 'CA FROM FILE');
    write('token', 'tok-123\n');
    const a = write(
      'a.yaml',
      `current-context: second
contexts:
- name: first
  context: { cluster: c1, user: u1 }
`,
    );
    const b = write(
      'b.yaml',
      `current-context: ignored
clusters:
- name: c2
  cluster: { server: "https://c2:6443", certificate-authority: ca.crt }
users:
- name: u2
  user: { token-file: token }
contexts:
- name: second
  context: { cluster: c2, user: u2 }
`,
    );
    const env = { KUBECONFIG: `${a}:${join(dir, 'missing.yaml')}:${b}`, HOME: dir };
    expect(kubeconfigPaths({ env })).toEqual([a, join(dir, 'missing.yaml'), b]);
    const conn = loadKubeconfig({ env });
    expect(conn).toMatchObject({ server: 'https://c2:6443', ca: 'CA FROM FILE', token: 'tok-123', namespace: 'default', context: 'second' });
  });

  it('picks the context asked for, and names what is missing', () => {
    const path = write(
      'config',
      `current-context: a
clusters: [{ name: c, cluster: { server: "https://x" } }]
contexts:
- { name: a, context: { cluster: c } }
- { name: b, context: { cluster: nowhere } }
`,
    );
    expect(loadKubeconfig({ path, context: 'a' }).server).toBe('https://x');
    expect(() => loadKubeconfig({ path, context: 'b' })).toThrow(/cluster "nowhere" of context "b" not found/);
    expect(() => loadKubeconfig({ path, context: 'zzz' })).toThrow(/context "zzz" not found/);
    expect(() => loadKubeconfig({ path: join(dir, 'absent') })).toThrow(/read kubeconfig .*absent/);
    expect(() => loadKubeconfig({ env: { HOME: dir } })).toThrow(/no file found at .*\.kube\/config; pass --kubeconfig or set KUBECONFIG/);
  });

  it('renders a kubeconfig that loads back to the same connection', () => {
    const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', ca: 'CA', name: 'skiff', token: 't', namespace: 'apps' });
    const path = write('rendered', text);
    expect(loadKubeconfig({ path })).toEqual({ server: 'https://127.0.0.1:6443', ca: 'CA', token: 't', namespace: 'apps', context: 'skiff' });
  });
});
