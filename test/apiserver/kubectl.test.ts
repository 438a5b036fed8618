// Real kubectl clients against the real server: 1.32 (aggregated discovery v2, OpenAPI v3
// field validation) and 1.27 (discovery v2beta1, --validate=false as the facts file says).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kubectl } from '../harness/kubectl.js';
import { startTestServer, type TestServer } from './helpers.js';

const deploymentYaml = (replicas: number, image = 'nginx:1.25') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
      - name: sidecar
        image: busybox
        command: [sleep, "3600"]
`;

describe('kubectl against skiff', () => {
  let ts: TestServer;
  let dir: string;
  beforeAll(async () => {
    ts = await startTestServer('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-kubectl-'));
  });
  afterAll(async () => {
    await ts?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const ok = (r: { code: number; stdout: string; stderr: string }) => {
    expect(r.stderr, r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    return r.stdout;
  };

  it('kubectl 1.32: apply, get, scale, patch, server-side apply, explain, delete', async () => {
    const k = new Kubectl('1.32', ts.server.kubeconfigPath);
    await k.run(['create', 'namespace', 'k132']); // protobuf body: expected to fail, the namespace comes next
    ok(await k.run(['apply', '-f', file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: k132}\n')]));
    const created = ok(await k.run(['-n', 'k132', 'apply', '-f', file('d1.yaml', deploymentYaml(2))]));
    expect(created).toContain('deployment.apps/web created');
    const updated = ok(await k.run(['-n', 'k132', 'apply', '-f', file('d2.yaml', deploymentYaml(3, 'nginx:1.27'))]));
    expect(updated).toContain('deployment.apps/web configured');
    const live = JSON.parse(ok(await k.run(['-n', 'k132', 'get', 'deploy', 'web', '-o', 'json'])));
    expect(live.spec.replicas).toBe(3);
    expect(live.metadata.generation).toBe(2);
    expect(live.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`)).toEqual(['web=nginx:1.27', 'sidecar=busybox']);

    expect(ok(await k.run(['-n', 'k132', 'get', 'deploy']))).toMatch(/^NAME\s/);
    expect(ok(await k.run(['get', 'ns']))).toContain('kube-node-lease');
    ok(await k.run(['-n', 'k132', 'scale', 'deploy/web', '--replicas=5']));
    ok(await k.run(['-n', 'k132', 'scale', 'deploy/web', '--current-replicas=5', '--replicas=1']));
    expect(ok(await k.run(['-n', 'k132', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']))).toBe('1');
    ok(await k.run(['-n', 'k132', 'label', 'deploy', 'web', 'tier=frontend']));
    ok(await k.run(['-n', 'k132', 'patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}']));
    const patched = JSON.parse(ok(await k.run(['-n', 'k132', 'get', 'deploy', 'web', '-o', 'json'])));
    expect(patched.metadata.labels.tier).toBe('frontend');
    expect(patched.spec.template.spec.containers[0].image).toBe('nginx:1.28');

    const ssa = ok(await k.run(['-n', 'k132', 'apply', '--server-side', '-f', file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1"}\n')]));
    expect(ssa).toContain('configmap/ssa serverside-applied');
    const strict = await k.run(['-n', 'k132', 'apply', '-f', file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndatta: {a: "1"}\n')]);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain('unknown field "datta"');

    expect(ok(await k.run(['explain', 'deployment.spec.replicas']))).toMatch(/replicas/i);
    expect(ok(await k.run(['-n', 'k132', 'delete', '-f', file('d1.yaml', deploymentYaml(2))]))).toContain('deleted');
    const gone = await k.run(['-n', 'k132', 'get', 'deploy', 'web']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('NotFound');
  });

  it('kubectl 1.27: get, apply and server-side apply with --validate=false, delete', async () => {
    const k = new Kubectl('1.27', ts.server.kubeconfigPath);
    ok(await k.run(['apply', '--validate=false', '-f', file('ns27.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: k127}\n')]));
    expect(ok(await k.run(['-n', 'k127', 'apply', '--validate=false', '-f', file('d27.yaml', deploymentYaml(1))]))).toContain('created');
    expect(ok(await k.run(['-n', 'k127', 'apply', '--validate=false', '-f', file('d27b.yaml', deploymentYaml(2))]))).toContain('configured');
    expect(ok(await k.run(['-n', 'k127', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']))).toBe('2');
    expect(ok(await k.run(['-n', 'k127', 'apply', '--server-side', '--validate=false', '-f', file('cm27.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1"}\n')]))).toContain('serverside-applied');
    expect(ok(await k.run(['get', 'pods', '-A']))).toBe('');
    expect(ok(await k.run(['-n', 'k127', 'delete', 'deploy', 'web']))).toContain('deleted');
  });
});
