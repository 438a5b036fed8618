// `skiff oci` driven as runc is: a bundle from `skiff oci spec` (the same config.json
// `runc spec` writes) with a busybox rootfs; lifecycle, state JSON, exit codes, refusals.
// Runs the built CLI (dist/), as users and the benchmark do: `npm run build` first.
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftoverCgroups, leftoverMounts, leftoverState, makeFixture, removeFixture, type Fixture } from './helpers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SKIFF = join(REPO, 'bin/skiff');

let f: Fixture;
let bundle: string;
let n = 0;

function skiff(...args: string[]) {
  const r = spawnSync(process.execPath, [SKIFF, 'oci', '--root', f.root, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * For `create` and `run --detach`: as with runc, the container inherits the caller's
 * stdio and keeps it open, so a pipe would not see EOF until the container exits. The
 * output goes to files instead.
 */
function skiffDetached(...args: string[]) {
  const out = join(f.dir, `out-${++n}`);
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync(process.execPath, [SKIFF, 'oci', '--root', f.root, ...args], { stdio: ['ignore', fd, fd], timeout: 30_000 });
    return { code: r.status, output: readFileSync(out, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/** Container ids start with the fixture's cgroup name: with no cgroupsPath the cgroup is /<id>. */
const newId = () => `${f.cgroupParent.slice(1)}-${++n}`;

function setArgs(args: string[]): void {
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  config.process.args = args;
  config.process.terminal = false;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, '\t'));
}

beforeAll(() => {
  for (const src of ['cli/oci.ts', 'nodeagent/runtime/container.ts']) {
    const built = join(REPO, 'dist', src.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(REPO, src)).mtimeMs) {
      throw new Error(`${built} is missing or older than ${src}: run \`npm run build\` first`);
    }
  }
  f = makeFixture('oci');
  bundle = join(f.dir, 'oci-bundle');
  mkdirSync(bundle);
  cpSync(f.rootfs, join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
});

afterAll(() => {
  try {
    for (const id of leftoverState(f)) skiff('delete', '--force', id);
    expect(leftoverState(f)).toEqual([]);
    expect(leftoverMounts(f)).toEqual([]);
    expect(leftoverCgroups(f)).toEqual([]);
  } finally {
    removeFixture(f);
  }
});

describe('skiff oci spec', () => {
  it('writes runc spec\'s config.json and refuses to overwrite it', () => {
    expect(skiff('spec', '--bundle', bundle).code).toBe(0);
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      ociVersion: '1.0.2-dev',
      process: { terminal: true, args: ['sh'], cwd: '/', noNewPrivileges: true, capabilities: { bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'] } },
      root: { path: 'rootfs', readonly: true },
      hostname: 'runc',
      linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }] },
    });
    expect(config.linux.seccomp).toBeUndefined();
    const again = skiff('spec', '--bundle', bundle);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);
  });
});

describe('skiff oci run', () => {
  it('runs in the foreground with the container\'s stdout and exit code', () => {
    setArgs(['/bin/sh', '-c', 'echo hello from $(hostname); exit 3']);
    const r = skiff('run', '--bundle', bundle, newId());
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from runc\n');
    expect(r.code).toBe(3);
  });

  it('runs a terminal container (runc spec\'s default) in the foreground, relaying the pty', () => {
    setArgs(['/bin/sh', '-c', 'tty; exit 5']);
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.terminal = true;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const r = skiff('run', '--bundle', bundle, newId());
    expect(r.stdout).toMatch(/^\/dev\/(console|pts\/\d+)\r?\n$/);
    expect(r.code).toBe(5);
  });

  it('refuses a detached terminal container (no console socket), saying what to change', () => {
    const r = skiffDetached('create', '--bundle', bundle, newId());
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/terminal/);
  });
});

describe('skiff oci lifecycle', () => {
  it('create, state, start, exec, kill, delete with the OCI state document at each step', () => {
    setArgs(['/probe', 'sleep', '30']);
    const id = newId();
    const pidFile = join(f.dir, `${id}.pid`);
    expect(skiffDetached('create', '--bundle', bundle, '--pid-file', pidFile, id)).toEqual({ code: 0, output: '' });
    const created = JSON.parse(skiff('state', id).stdout);
    expect(created).toMatchObject({ ociVersion: '1.0.2-dev', id, status: 'created', bundle, annotations: {} });
    expect(created.pid).toBeGreaterThan(0);
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(created.pid));
    const listed = skiff('list', '--quiet');
    expect(listed.stderr).toBe('');
    expect(listed.stdout.split('\n')).toContain(id);

    expect(skiff('start', id).code).toBe(0);
    expect(JSON.parse(skiff('state', id).stdout)).toMatchObject({ status: 'running', pid: created.pid });
    expect(skiff('start', id).code).toBe(1); // only a created container starts

    expect(skiff('exec', id, '/probe', 'exit', '4').code).toBe(4);

    const refused = skiff('delete', id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/running/);
    expect(JSON.parse(skiff('state', id).stdout).status).toBe('running'); // and it had no effect

    expect(skiff('kill', id, 'KILL').code).toBe(0);
    let state = JSON.parse(skiff('state', id).stdout);
    for (let i = 0; i < 50 && state.status !== 'stopped'; i++) state = JSON.parse(skiff('state', id).stdout);
    expect(state).toMatchObject({ status: 'stopped', pid: 0 });

    expect(skiff('delete', id).code).toBe(0);
    const gone = skiff('state', id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/does not exist/);
  });

  it('delete --force kills a running container', () => {
    setArgs(['/probe', 'ignore-term', '30']);
    const id = newId();
    expect(skiffDetached('run', '--detach', '--bundle', bundle, id).code).toBe(0);
    expect(JSON.parse(skiff('state', id).stdout).status).toBe('running');
    expect(skiff('delete', '--force', id)).toMatchObject({ code: 0, stderr: '' });
    expect(skiff('list', '--format', 'json')).toMatchObject({ stdout: '[]\n', stderr: '' });
  });
});
