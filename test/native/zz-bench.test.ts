import { test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox } from './plan-builder.js';
import { createContainer, startContainer, waitForExit } from '../../native/index.js';
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] as number; };
test('bench', async () => {
  const N = Number(process.env.N ?? 30);
  const sb = new Sandbox('bench');
  const runState = `/run/skiff-native-bench-${process.pid}`;
  const v2dir = `/sys/fs/cgroup/unified/skiff-native-bench-${process.pid}`; if (process.env.V2) mkdirSync(v2dir);
  const skiff: number[] = [], creates: number[] = [], runc: number[] = [], crun: number[] = [];
  // bundle for runc/crun
  const bundle = join(sb.dir, 'bundle');
  mkdirSync(bundle);
  spawnSync('runc', ['spec'], { cwd: bundle });
  const cfg = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  cfg.process.terminal = false; cfg.process.args = ['/bin/true']; cfg.root.path = sb.rootfs;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(cfg));
  const withCrun = process.env.CRUN === '1';
  const scratch = join(sb.dir, 'hugetlb');
  if (withCrun) { mkdirSync(scratch); spawnSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', scratch]); }
  let rss = 0;
  try {
    for (let i = 0; i < N; i++) {
      rmSync(runState, { recursive: true, force: true }); mkdirSync(runState);
      const t0 = performance.now();
      const plan = sb.plan(['/bin/true']); plan.stateDir = runState; plan.io.logPath = runState + '/log'; if (process.env.NOCG) plan.cgroupProcs = []; if (process.env.V2) { plan.cgroupProcs = [v2dir + '/cgroup.procs']; }
      const c = await createContainer(plan);
      const t1 = performance.now();
      await startContainer(runState);
      await waitForExit(runState);
      const t2 = performance.now();
      skiff.push(t2 - t0); creates.push(t1 - t0);
      void c;
      let t = performance.now();
      spawnSync('runc', ['run', '--bundle', bundle, `skiffbench${i}`], { stdio: 'ignore' });
      runc.push(performance.now() - t);
      if (withCrun) {
        t = performance.now();
        const r = spawnSync('crun', ['run', '--bundle', bundle, `skiffbenchc${i}`], { stdio: 'pipe' });
        if (i === 0 && r.status !== 0) console.log('crun', r.stderr.toString());
        crun.push(performance.now() - t);
      }
    }
    // monitor RSS while a container prints for a while
    rmSync(sb.stateDir, { recursive: true, force: true }); mkdirSync(sb.stateDir);
    const c = await createContainer(sb.plan(['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; sleep 0.3']));
    await startContainer(sb.stateDir);
    await new Promise((r) => setTimeout(r, 250));
    const st = readFileSync(`/proc/${c.monitorPid}/status`, 'utf8');
    rss = Number(/VmHWM:\s+(\d+)/.exec(st)?.[1]);
    await waitForExit(sb.stateDir);
  } finally {
    if (withCrun) spawnSync('umount', [scratch]);
    await sb.cleanup(); rmSync(runState, { recursive: true, force: true }); if (process.env.V2) { await new Promise((r) => setTimeout(r, 200)); spawnSync('rmdir', [v2dir]); }
  }
  console.log(JSON.stringify({ N, skiffRun: median(skiff), skiffCreate: median(creates), runc: median(runc), crun: crun.length ? median(crun) : null, monitorPeakRssKiB: rss }));
}, 300_000);
