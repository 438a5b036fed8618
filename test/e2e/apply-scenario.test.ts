// The everyday workflow a user runs against `skiff server`: apply a multi-document
// manifest, re-apply, edit, server-side apply, read back, watch, scale, delete, and be
// told exactly which field is wrong in a bad manifest. It runs with real kubectl 1.32,
// real kubectl 1.27 and the `skiff` command, on SQLite and on etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { startServer, SKIFF, type RunningServer } from '../harness/skiff-server.js';
import { Kubectl, runCommand, type CommandResult } from '../harness/kubectl.js';
import { startEtcd, type RunningEtcd } from '../harness/etcd.js';

/** What the scenario needs from a client: kubectl and skiff both provide it. */
interface Driver {
  name: string;
  apply(file: string): Promise<CommandResult>;
  get(args: string[]): Promise<CommandResult>;
  delete(file: string): Promise<CommandResult>;
  /** Starts a `get -w` and returns its output so far plus a stop function. */
  watch(args: string[]): { output: () => string; stop: () => void };
  /** kubectl 1.27 validates only through OpenAPI v2 (protobuf), so it runs with --validate=false. */
  checksUnknownFields: boolean;
  kubectl?: Kubectl;
  /** Flags kubectl needs on writes that validate (apply, replace). */
  validateFlags: string[];
}

function kubectlDriver(version: '1.27' | '1.32', kubeconfig: string): Driver {
  const k = new Kubectl(version, kubeconfig);
  const validate = version === '1.27' ? ['--validate=false'] : [];
  return {
    name: `kubectl ${version}`,
    kubectl: k,
    checksUnknownFields: version !== '1.27',
    validateFlags: validate,
    apply: (file) => k.run(['apply', ...validate, '-f', file]),
    get: (args) => k.run(['get', ...args]),
    delete: (file) => k.run(['delete', '-f', file, '--wait=true']),
    watch: (args) => {
      const child = k.spawn(['get', ...args, '-w']);
      let out = '';
      child.stdout!.on('data', (d) => { out += d; });
      child.stderr!.on('data', (d) => { out += d; });
      return { output: () => out, stop: () => child.kill('SIGKILL') };
    },
  };
}

function skiffDriver(kubeconfig: string): Driver {
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const skiff = (args: string[]) => runCommand(process.execPath, [SKIFF, ...args], env);
  return {
    name: 'skiff',
    checksUnknownFields: true,
    validateFlags: [],
    apply: (file) => skiff(['apply', '-f', file]),
    get: (args) => skiff(['get', ...args]),
    delete: (file) => skiff(['delete', '-f', file]),
    watch: (args) => {
      const child = spawn(process.execPath, [SKIFF, 'get', ...args, '-w'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d; });
      child.stderr.on('data', (d: Buffer) => { out += d; });
      return { output: () => out, stop: () => child.kill('SIGKILL') };
    },
  };
}

function manifest(ns: string, opts: { replicas: number; image: string; withDebugEnv: boolean }): string {
  const env = [{ name: 'MODE', value: 'demo' }];
  if (opts.withDebugEnv) env.push({ name: 'DEBUG', value: '1' });
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { greeting: 'hello' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
      spec: {
        replicas: opts.replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: opts.image, ports: [{ containerPort: 80 }], env }] },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] },
    },
  ];
  return docs.map((d) => yaml.dump(d)).join('---\n');
}

function invalidDeployment(ns: string, name: string, container: Record<string, unknown>): string {
  return yaml.dump({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: 'bad' } },
      template: { metadata: { labels: { app: 'bad' } }, spec: { containers: [{ name: 'c', ...container }] } },
    },
  });
}

const lines = (r: CommandResult) => r.stdout.trim().split('\n').filter(Boolean);

async function runScenario(driver: Driver, ns: string, dir: string): Promise<void> {
  const file = (name: string, text: string) => { const p = join(dir, `${ns}-${name}.yaml`); writeFileSync(p, text); return p; };
  const original = file('app', manifest(ns, { replicas: 2, image: 'busybox:1.36', withDebugEnv: true }));
  const k8sOut = (r: CommandResult) => `${driver.name} exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

  // 1. apply creates every document, in order, with kubectl's wording.
  let r = await driver.apply(original);
  expect(r.code, k8sOut(r)).toBe(0);
  expect(lines(r)).toEqual([
    `namespace/${ns} created`,
    'configmap/settings created',
    'secret/creds created',
    'deployment.apps/web created',
    'service/web created',
  ]);

  // 2. applying the same manifest again changes nothing.
  r = await driver.apply(original);
  expect(r.code, k8sOut(r)).toBe(0);
  expect(lines(r)).toEqual([
    `namespace/${ns} unchanged`,
    'configmap/settings unchanged',
    'secret/creds unchanged',
    'deployment.apps/web unchanged',
    'service/web unchanged',
  ]);

  // 3. an edit (replicas, image, a removed env var) is applied and the removed field is gone.
  const edited = file('edited', manifest(ns, { replicas: 3, image: 'busybox:1.37', withDebugEnv: false }));
  r = await driver.apply(edited);
  expect(r.code, k8sOut(r)).toBe(0);
  expect(lines(r)).toContain('deployment.apps/web configured');
  expect(lines(r)).toContain('configmap/settings unchanged');
  r = await driver.get(['deployment', 'web', '-n', ns, '-o', 'json']);
  expect(r.code, k8sOut(r)).toBe(0);
  const deploy = JSON.parse(r.stdout);
  expect(deploy.spec.replicas).toBe(3);
  const container = deploy.spec.template.spec.containers[0];
  expect(container.image).toBe('busybox:1.37');
  expect(container.env).toEqual([{ name: 'MODE', value: 'demo' }]);
  // Server-side defaults are visible, as in Kubernetes.
  expect(container.ports[0].protocol).toBe('TCP');
  expect(deploy.spec.strategy.type).toBe('RollingUpdate');
  expect(deploy.metadata.generation).toBeGreaterThanOrEqual(2);

  // 4. get -o yaml round-trips: what comes out parses back into the same object.
  r = await driver.get(['configmap', 'settings', '-n', ns, '-o', 'yaml']);
  expect(r.code, k8sOut(r)).toBe(0);
  const cm = yaml.load(r.stdout) as any;
  expect(cm.kind).toBe('ConfigMap');
  expect(cm.apiVersion).toBe('v1');
  expect(cm.data).toEqual({ greeting: 'hello' });
  expect(cm.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(0);
  if (driver.kubectl) {
    // What get printed is accepted back as a full replacement.
    const roundTrip = file('roundtrip', r.stdout.replace('greeting: hello', 'greeting: bonjour'));
    const rep = await driver.kubectl.run(['replace', ...driver.validateFlags, '-f', roundTrip]);
    expect(rep.code, k8sOut(rep)).toBe(0);
    const back = await driver.get(['configmap', 'settings', '-n', ns, '-o', 'jsonpath={.data.greeting}']);
    expect(back.stdout).toBe('bonjour');
  }

  // 5. table output has the columns kubectl users know.
  r = await driver.get(['deployments', '-n', ns]);
  expect(r.code, k8sOut(r)).toBe(0);
  expect(r.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
  expect(r.stdout).toMatch(/\nweb\s+0\/3\s+/);

  // 6. get -w streams a change made while it watches.
  const w = driver.watch(['configmaps', '-n', ns]);
  try {
    await expect.poll(() => w.output(), { timeout: 15_000 }).toMatch(/settings/);
    const extra = file('extra', yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-arrival', namespace: ns }, data: { a: 'b' } }));
    r = await driver.apply(extra);
    expect(r.code, k8sOut(r)).toBe(0);
    await expect.poll(() => w.output(), { timeout: 15_000 }).toMatch(/late-arrival/);
  } finally {
    w.stop();
  }

  // 7. scale (kubectl's verb; skiff users change replicas in the manifest and apply).
  if (driver.kubectl) {
    r = await driver.kubectl.run(['scale', 'deployment/web', '-n', ns, '--replicas=5']);
    expect(r.code, k8sOut(r)).toBe(0);
    expect(r.stdout.trim()).toBe('deployment.apps/web scaled');
    r = await driver.get(['deployment', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']);
    expect(r.stdout).toBe('5');
  }

  // 8. invalid manifests fail with the field named, and store nothing.
  const bad: [string, Record<string, unknown>, RegExp, boolean][] = [
    ['no-image', {}, /spec\.template\.spec\.containers\[0\]\.image: Required value/, true],
    ['Bad_Name', { image: 'busybox' }, /metadata\.name: Invalid value: "Bad_Name"/, true],
    ['unknown-field', { image: 'busybox', imagee: 'typo' }, /unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/, driver.checksUnknownFields],
  ];
  for (const [name, c, message, applies] of bad) {
    if (!applies) continue;
    r = await driver.apply(file(`bad-${name}`, invalidDeployment(ns, name, c)));
    expect(r.code, k8sOut(r)).not.toBe(0);
    expect(r.stderr, k8sOut(r)).toMatch(message);
    const gone = await driver.get(['deployment', name, '-n', ns, '-o', 'name']);
    expect(gone.code, k8sOut(gone)).not.toBe(0);
    expect(gone.stderr).toMatch(/NotFound|not found/);
  }

  // 9. delete -f removes everything it names.
  r = await driver.delete(edited);
  expect(r.code, k8sOut(r)).toBe(0);
  expect(lines(r)).toEqual(expect.arrayContaining([
    'configmap "settings" deleted',
    'secret "creds" deleted',
    'deployment.apps "web" deleted',
    'service "web" deleted',
  ]));
  for (const what of [['deployment', 'web'], ['configmap', 'settings'], ['secret', 'creds'], ['service', 'web']]) {
    const g = await driver.get([...what, '-n', ns, '-o', 'name']);
    expect(g.code, `${what.join('/')} should be gone: ${k8sOut(g)}`).not.toBe(0);
  }
}

const backends = ['sqlite', 'etcd'] as const;

describe.each(backends)('apply scenario on %s', (backend) => {
  let server: RunningServer;
  let etcd: RunningEtcd | undefined;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `skiff-e2e-manifests-${backend}-`));
    if (backend === 'etcd') etcd = await startEtcd();
    server = await startServer({ etcdEndpoints: etcd?.endpoint });
  });

  afterAll(async () => {
    await server?.stop();
    await etcd?.stop();
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('works with kubectl 1.32', async () => {
    await runScenario(kubectlDriver('1.32', server.kubeconfig), 'e2e-k132', dir);
  });

  it('works with kubectl 1.27', async () => {
    await runScenario(kubectlDriver('1.27', server.kubeconfig), 'e2e-k127', dir);
  });

  it('works with skiff apply/get/delete', async () => {
    await runScenario(skiffDriver(server.kubeconfig), 'e2e-skiff', dir);
  });

  it('server-side apply owns fields: a key dropped from the applied config is removed', async () => {
    const k = new Kubectl('1.32', server.kubeconfig);
      const ns = 'e2e-ssa';
    const nsFile = join(dir, 'ssa-ns.yaml');
    writeFileSync(nsFile, yaml.dump({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
    expect((await k.run(['apply', '-f', nsFile])).code).toBe(0);
    const cm = (data: Record<string, string>) => yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: ns }, data });
    const p = join(dir, 'ssa.yaml');
    writeFileSync(p, cm({ a: '1', b: '2' }));
    let r = await k.run(['apply', '--server-side', '-f', p]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('configmap/ssa serverside-applied');
    writeFileSync(p, cm({ a: '10' }));
    r = await k.run(['apply', '--server-side', '-f', p]);
    expect(r.code, r.stderr).toBe(0);
    r = await k.run(['get', 'configmap', 'ssa', '-n', ns, '-o', 'json', '--show-managed-fields']);
    const live = JSON.parse(r.stdout);
    expect(live.data).toEqual({ a: '10' });
    expect(live.metadata.managedFields.map((m: any) => [m.manager, m.operation])).toContainEqual(['kubectl', 'Apply']);
  });
});
