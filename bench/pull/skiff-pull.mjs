// One pull in a process of its own, so the benchmark measures Skiff the way it measures the
// peers (whole process). Usage: node skiff-pull.mjs download|unpack ROOT REF
import { ImageService } from '../../dist/nodeagent/images/index.js';

const [mode, root, ref] = process.argv.slice(2);
const svc = await ImageService.open({ root, snapshotter: mode === 'download' ? false : undefined });
try {
  const t0 = performance.now();
  const { fetched } = await svc.pull(ref);
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, fetched }) + '\n');
} finally {
  svc.close();
}
