// A restarted agent re-adopts running containers from disk, and an exit that happens
// while no agent runs is not lost: the monitor, not the agent, is the container's parent.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../nodeagent/runtime/index.js';
import { isSameProcess, processStartTime } from '../../../nodeagent/runtime/state.js';
import { leftoverCgroups, leftoverMounts, leftoverState, makeFixture, removeFixture, type Fixture } from './helpers.js';

const AGENT = fileURLToPath(new URL('./agent-process.ts', import.meta.url));
const VITE_NODE = fileURLToPath(new URL('../../../node_modules/.bin/vite-node', import.meta.url));

let f: Fixture;
const agents: ChildProcess[] = [];

beforeAll(() => { f = makeFixture('readopt'); });
afterAll(async () => {
  // Wait for every agent to be gone first: one still writing a container's state after the
  // removal below would leave that container's directory behind.
  await Promise.all(agents.filter((a) => a.exitCode === null && a.signalCode === null).map((a) => killAgent(a)));
  try {
    const rt = new Runtime(f.root);
    for (const c of rt.list()) await c.remove({ force: true });
    expect(leftoverState(f)).toEqual([]);
    expect(leftoverMounts(f)).toEqual([]);
    expect(leftoverCgroups(f).filter((d) => !d.endsWith(f.cgroupParent))).toEqual([]);
  } finally {
    removeFixture(f);
  }
});

/** Starts an agent process; resolves each JSON line it prints, in order. */
function startAgent(args: string[]): { proc: ChildProcess; next: () => Promise<Record<string, unknown>> } {
  const proc = spawn(VITE_NODE, [AGENT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  agents.push(proc);
  const lines: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown>) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(event); else lines.push(event);
  });
  const exited = new Promise<never>((_, reject) => proc.on('exit', (code, sig) => reject(new Error(`agent exited (${code ?? sig}) before printing`))));
  exited.catch(() => undefined);
  return {
    proc,
    next: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : Promise.race([new Promise<Record<string, unknown>>((r) => waiters.push(r)), exited])),
  };
}

function killAgent(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.on('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

describe('agent restart', () => {
  it('a new agent re-adopts a running container and records its later exit', async () => {
    // Runs until told: the test ends it with SIGTERM once the new agent has adopted it.
    const first = startAgent(['create', f.root, 'kept', f.rootfs, f.cgroupParent, '/probe', 'trap-term', '60']);
    const started = await first.next();
    const pid = started.pid as number;
    const startTime = processStartTime(pid)!;
    await killAgent(first.proc);
    expect(isSameProcess(pid, startTime)).toBe(true); // the container outlived its agent

    const second = startAgent(['adopt', f.root, 'kept']);
    expect(await second.next()).toMatchObject({ event: 'adopted', status: 'running', pid });
    await expect.poll(() => readFileSync(join(f.root, 'kept', 'container.log'), 'utf8'), { timeout: 10_000 }).toContain('sleeping');
    process.kill(pid, 'SIGTERM');
    expect(await second.next()).toMatchObject({ event: 'exited', exitCode: 143, reason: 'Error' });
  }, 60_000);

  it('an exit that happened while no agent ran is found on disk', async () => {
    const first = startAgent(['create', f.root, 'gone', f.rootfs, f.cgroupParent, '/bin/sh', '-c', 'sleep 0.5; exit 9']);
    const pid = (await first.next()).pid as number;
    const startTime = processStartTime(pid)!;
    await killAgent(first.proc);
    await expect.poll(() => isSameProcess(pid, startTime), { timeout: 10_000 }).toBe(false);

    const second = startAgent(['adopt', f.root, 'gone']);
    expect(await second.next()).toMatchObject({ event: 'adopted', status: 'stopped', exit: { exitCode: 9 } });
    expect(await second.next()).toMatchObject({ event: 'exited', exitCode: 9 });
  }, 60_000);
});
