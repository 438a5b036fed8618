// A stand-in node agent run as its own process by readopt.test.ts: it uses only the
// runtime's public API, prints one JSON line per event, and can be SIGKILLed at any time.
//
//   agent-process.ts create ROOT ID ROOTFS CGROUP_PARENT ARG...   create + start, print {"pid"}, stay alive
//   agent-process.ts adopt ROOT ID                                 print the status found on disk,
//                                                                  wait for the exit, print it, remove
import { Runtime, defaultContainerSpec } from '../../../nodeagent/runtime/index.js';

const [mode, root, id, ...rest] = process.argv.slice(2);
const rt = new Runtime(root!);

if (mode === 'create') {
  const [rootfs, cgroupParent, ...args] = rest;
  const spec = defaultContainerSpec({ id: id!, rootfs: rootfs!, args, cgroupParent: cgroupParent!, readOnlyRootFilesystem: true });
  const c = await rt.create({ id: id!, bundle: rootfs!, spec });
  await c.start();
  console.log(JSON.stringify({ event: 'started', pid: c.state.pid }));
  setInterval(() => undefined, 1 << 30); // an agent keeps running until killed
} else if (mode === 'adopt') {
  const c = rt.load(id!);
  if (!c) throw new Error(`adopt ${id}: not found`);
  console.log(JSON.stringify({ event: 'adopted', ...c.status() }));
  const exit = await c.wait(30_000);
  console.log(JSON.stringify({ event: 'exited', ...exit }));
  await c.remove();
} else {
  throw new Error(`unknown mode ${mode}`);
}
