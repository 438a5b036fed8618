// Container start latency: Skiff in-process (runtime API), `skiff oci run`, crun and runc,
// interleaved on the same `runc spec` bundle (busybox rootfs, args /bin/true, no terminal).
//
//   npm run build && sudo node bench/runtime/run.mjs [N]      (default N=30)
//
// crun 1.8 refuses a hybrid cgroup host while cgroup2 carries a controller (hugetlb here,
// runtime-notes §1.3): around each crun run the bench mounts a v1 hugetlb hierarchy in a
// scratch directory, which moves the controller off cgroup2, and unmounts it afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const N = Number(process.argv[2] ?? 30);
const have = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

if (process.getuid() !== 0) throw new Error('bench/runtime: run as root (containers need namespaces and cgroups)');
if (!existsSync(join(REPO, 'dist/nodeagent/runtime/index.js'))) throw new Error('bench/runtime: run `npm run build` first');

const work = mkdtempSync(join(tmpdir(), 'skiff-bench-runtime-'));
const bundle = join(work, 'bundle');
const rootfs = join(bundle, 'rootfs');
const hugetlbScratch = join(work, 'hugetlb');
mkdirSync(hugetlbScratch);

// --- the bundle: `runc spec` when runc is installed (else skiff's identical copy) -------------
for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
chmodSync(join(rootfs, 'bin/busybox'), 0o755);
for (const a of ['true', 'sh']) symlinkSync('busybox', join(rootfs, 'bin', a));
if (have('runc')) execFileSync('runc', ['spec'], { cwd: bundle });
else execFileSync(process.execPath, [join(REPO, 'bin/skiff'), 'oci', 'spec', '--bundle', bundle]);
const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
spec.process.args = ['/bin/true'];
spec.process.terminal = false;
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, '\t'));

const { Runtime } = await import(join(REPO, 'dist/nodeagent/runtime/index.js'));
const skiffRoot = join(work, 'skiff-inproc');
const runtime = new Runtime(skiffRoot);
const devnull = (await import('node:fs')).openSync('/dev/null', 'r+');

function hugetlbOnCgroup2() {
  try { return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').includes('hugetlb'); } catch { return false; }
}
const needsHugetlbMove = hugetlbOnCgroup2();

function timed(fn) {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, r };
}

let seq = 0;
const peakRss = {};
const removeMs = [];
const runners = {
  async 'skiff in-process'() {
    const id = `skiff-bench-in-${++seq}`;
    const t0 = process.hrtime.bigint();
    const c = await runtime.create({ id, bundle, spec, io: { mode: 'inherit', stdio: [devnull, devnull, devnull] } });
    await c.start();
    const exit = await c.wait(10_000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // remove (cgroup rmdir, state dir) is outside the timed region: the agent does it
    // later, off the pod's start path. Timed separately.
    const t1 = process.hrtime.bigint();
    await c.remove();
    removeMs.push(Number(process.hrtime.bigint() - t1) / 1e6);
    if (exit.exitCode !== 0) throw new Error(`skiff in-process: exit ${exit.exitCode}`);
    return ms;
  },
  'skiff oci run'() {
    const { ms, r } = timed(() => spawnSync(process.execPath, [join(REPO, 'bin/skiff'), 'oci', '--root', join(work, 'skiff-oci'), 'run', '--bundle', bundle, `skiff-bench-oci-${++seq}`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' }));
    if (r.status !== 0) throw new Error(`skiff oci run: exit ${r.status}: ${r.stderr}`);
    return ms;
  },
  crun() {
    if (needsHugetlbMove) execFileSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', hugetlbScratch]);
    try {
      const { ms, r } = timed(() => spawnSync('crun', ['--root', join(work, 'crun'), 'run', '--bundle', bundle, `skiff-bench-crun-${++seq}`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' }));
      if (r.status !== 0) throw new Error(`crun run: exit ${r.status}: ${r.stderr}`);
      return ms;
    } finally {
      if (needsHugetlbMove) execFileSync('umount', [hugetlbScratch]);
    }
  },
  runc() {
    const { ms, r } = timed(() => spawnSync('runc', ['--root', join(work, 'runc'), 'run', '--bundle', bundle, `skiff-bench-runc-${++seq}`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' }));
    if (r.status !== 0) throw new Error(`runc run: exit ${r.status}: ${r.stderr}`);
    return ms;
  },
};
if (!have('crun')) delete runners.crun;
if (!have('runc')) delete runners.runc;

/** Peak RSS (KB) of the largest waited-for process of one CLI run, from GNU time. */
function cliPeakRss(argv, before, after) {
  before?.();
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    return Number(r.stderr.trim().split('\n').at(-1));
  } finally {
    after?.();
  }
}

/** Peak RSS of the in-process path: the agent's growth over the runs, and one monitor's VmHWM. */
async function inProcessMonitorRss() {
  const c = await runtime.create({ id: `skiff-bench-rss-${++seq}`, bundle, spec, io: { mode: 'inherit', stdio: [devnull, devnull, devnull] } });
  const status = readFileSync(`/proc/${c.state.monitorPid}/status`, 'utf8');
  const init = readFileSync(`/proc/${c.state.pid}/status`, 'utf8');
  await c.start();
  await c.wait(10_000);
  await c.remove();
  const hwm = (s) => Number(/VmHWM:\s+(\d+)/.exec(s)[1]);
  return { monitor: hwm(status), init: hwm(init) };
}

try {
  // warm-up: page cache, JIT, first-use costs
  for (const run of Object.values(runners)) await run();
  const samples = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < N; i++) {
    for (const [name, run] of Object.entries(runners)) samples[name].push(await run());
  }
  const agentGrowthKb = Math.round((process.memoryUsage().rss - rssBefore) / 1024);

  const mountHugetlb = needsHugetlbMove ? () => execFileSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', hugetlbScratch]) : undefined;
  const umountHugetlb = needsHugetlbMove ? () => execFileSync('umount', [hugetlbScratch]) : undefined;
  const mon = await inProcessMonitorRss();
  peakRss['skiff in-process'] = `monitor ${mon.monitor} KB (+ agent growth ${agentGrowthKb} KB over ${N} runs)`;
  peakRss['skiff oci run'] = `${cliPeakRss([process.execPath, join(REPO, 'bin/skiff'), 'oci', '--root', join(work, 'skiff-oci'), 'run', '--bundle', bundle, `skiff-bench-oci-${++seq}`])} KB`;
  if (runners.crun) peakRss.crun = `${cliPeakRss(['crun', '--root', join(work, 'crun'), 'run', '--bundle', bundle, `skiff-bench-crun-${++seq}`], mountHugetlb, umountHugetlb)} KB`;
  if (runners.runc) peakRss.runc = `${cliPeakRss(['runc', '--root', join(work, 'runc'), 'run', '--bundle', bundle, `skiff-bench-runc-${++seq}`])} KB`;

  const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
  const median = (xs) => quantile(xs, 0.5);
  const crunMedian = samples.crun ? median(samples.crun) : undefined;
  console.log(`\nContainer start to exit of /bin/true, interleaved, N=${N} each (runc spec bundle, busybox rootfs)\n`);
  console.log('| runtime | median ms | p90 ms | vs crun (median) | peak RSS per container start |');
  console.log('|---|---|---|---|---|');
  for (const [name, xs] of Object.entries(samples)) {
    const ratio = crunMedian ? `${(median(xs) / crunMedian).toFixed(2)}x` : 'n/a';
    console.log(`| ${name} | ${median(xs).toFixed(1)} | ${quantile(xs, 0.9).toFixed(1)} | ${ratio} | ${peakRss[name]} |`);
  }
  console.log(`\nskiff in-process = create + start + wait through nodeagent/runtime in one agent process; its remove (not timed above) took median ${median(removeMs).toFixed(1)} ms.`);
  console.log('the others are whole CLI processes (`run` = create, start, wait, delete).');
  if (needsHugetlbMove) console.log('crun ran with a scratch v1 hugetlb hierarchy mounted (runtime-notes §1.3), unmounted after each run.');
} finally {
  if (needsHugetlbMove) {
    spawnSync('umount', [hugetlbScratch], { stdio: 'ignore' });
    if (!hugetlbOnCgroup2()) console.error('warning: hugetlb did not return to cgroup2');
  }
  rmSync(work, { recursive: true, force: true });
}
