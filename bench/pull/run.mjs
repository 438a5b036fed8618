// Pull benchmark: a ~170 MB, 4-layer gzip image on a loopback docker-registry.
//   download:     Skiff download-only  vs  skopeo copy docker:// -> oci: (download + verify)
//   pull+unpack:  Skiff pull (CLI)      vs  floor: curl every blob + sha256sum + tar -xzf each layer
//   warm re-pull: Skiff pull of an image already present (CLI process, and in-process pull())
//   node start:   node + importing the image code, the fixed cost in every whole-process Skiff row
// Every cold run starts from an empty store and the deletion is inside the timing, as in
// /work/shared/design/oci-images.md. Runs are interleaved (1 warm-up, then N rounds).
// Usage: npm run build && node bench/pull/run.mjs [--rounds 5] [--mb 160]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const ROUNDS = opt('rounds', 5);
const BIG_MB = opt('mb', 160);

const { ImageService } = await import(resolve(repo, 'dist/nodeagent/images/index.js')).catch(() => {
  console.error('bench/pull: run `npm run build` first (needs dist/nodeagent/images)');
  process.exit(1);
});

const work = mkdtempSync(join(tmpdir(), 'skiff-bench-pull-'));
let registry;
const sh = (script) => execFileSync('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();

/** docker-registry (distribution 2.8) on a free loopback port, storage in the bench's temp dir. */
async function startRegistry() {
  const port = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const config = join(work, 'registry.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'registry')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const proc = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (spawnSync('curl', ['-sf', '-o', '/dev/null', `http://${host}/v2/`]).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    push: (layout, repoTag) => sh(`skopeo copy -q --dest-tls-verify=false --insecure-policy oci:${layout} docker://${host}/${repoTag}`),
    stop: async () => { proc.kill('SIGTERM'); await new Promise((r) => proc.once('exit', r)); },
  };
}

function sha256File(path) {
  return 'sha256:' + createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Writes the benchmark image as an OCI layout with tar + gzip -1 (like the facts file's image). */
function buildImage(layout) {
  const blobs = join(layout, 'blobs/sha256');
  mkdirSync(blobs, { recursive: true });
  const layerSpecs = [
    // One big layer of random data in 16 MiB files: the network + sha256 + write path.
    (dir) => { for (let i = 0; i < BIG_MB / 16; i++) writeFileSync(join(dir, `random-${i}.bin`), randomBytes(16 << 20)); },
    // Three small layers of text, many files: the unpack path.
    ...[1, 2, 3].map((n) => (dir) => {
      for (let i = 0; i < 200; i++) {
        mkdirSync(join(dir, `etc/d${n}/${i % 10}`), { recursive: true });
        writeFileSync(join(dir, `etc/d${n}/${i % 10}/file-${i}.txt`), `layer ${n} file ${i}\n`.repeat(200 * n));
      }
    }),
  ];
  const layers = [];
  const diffIds = [];
  for (const [i, fill] of layerSpecs.entries()) {
    const dir = join(work, `layer-src-${i}`);
    mkdirSync(dir, { recursive: true });
    fill(dir);
    const tarPath = join(work, `layer-${i}.tar`);
    sh(`tar -C ${dir} --numeric-owner --owner=0 --group=0 -cf ${tarPath} . && rm -rf ${dir}`);
    diffIds.push(sha256File(tarPath));
    sh(`gzip -1 -n -f ${tarPath}`);
    const gz = `${tarPath}.gz`;
    const digest = sha256File(gz);
    const size = statSync(gz).size;
    sh(`mv ${gz} ${join(blobs, digest.slice(7))}`);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size });
  }
  const put = (obj) => {
    const buf = Buffer.from(JSON.stringify(obj));
    const digest = 'sha256:' + createHash('sha256').update(buf).digest('hex');
    writeFileSync(join(blobs, digest.slice(7)), buf);
    return { digest, size: buf.length };
  };
  const config = put({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const manifest = put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{
    mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'big' } }] }));
  return { layers, total: layers.reduce((n, l) => n + l.size, 0) };
}

function timeIt(script) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`bench step failed: ${script}\n${r.stderr}`);
  return s;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x) => x.toFixed(3);

try {
  console.log(`building the image (${BIG_MB} MiB random layer + 3 text layers)...`);
  const layout = join(work, 'layout');
  const img = buildImage(layout);
  registry = await startRegistry();
  registry.push(layout, 'bench/big:1');
  const ref = `${registry.host}/bench/big:1`;
  console.log(`image ${ref}: ${img.layers.length} layers, ${img.total} bytes compressed`);

  const node = process.execPath;
  const skiffPull = join(here, 'skiff-pull.mjs');
  const bin = join(repo, 'bin/skiff');
  const d = (name) => join(work, name);
  const blobUrls = img.layers.map((l) => `http://${registry.host}/v2/bench/big/blobs/${l.digest}`);
  const floor = [
    `rm -rf ${d('floor')} && mkdir -p ${d('floor')}/blobs ${d('floor')}/rootfs`,
    ...blobUrls.map((u, i) => `curl -sf -o ${d('floor')}/blobs/${i} ${u}`),
    `sha256sum ${d('floor')}/blobs/* > /dev/null`,
    ...img.layers.map((_, i) => `tar -xzf ${d('floor')}/blobs/${i} -C ${d('floor')}/rootfs`),
  ].join(' && ');
  const commands = {
    'skiff download': `rm -rf ${d('s-dl')} && ${node} ${skiffPull} download ${d('s-dl')} ${ref}`,
    'skopeo copy (download)': `rm -rf ${d('skopeo')} && skopeo copy -q --src-tls-verify=false --insecure-policy docker://${ref} oci:${d('skopeo')}:big`,
    'skiff pull+unpack (CLI)': `rm -rf ${d('s-full')} && ${node} ${bin} image --data-dir ${d('s-full')} pull ${ref}`,
    'floor: curl+sha256sum+tar -xzf': floor,
    'skiff warm re-pull (CLI)': `${node} ${bin} image --data-dir ${d('s-warm')} pull ${ref}`,
    // What every Skiff row pays before pulling anything: node start + loading the image code.
    'node start + import (no pull)': `${node} --input-type=module -e "await import('${join(repo, 'dist/nodeagent/images/index.js')}')"`,
  };
  // The warm store is filled once; its runs then only HEAD the manifest.
  timeIt(`${node} ${bin} image --data-dir ${d('s-warm')} pull ${ref}`);

  const results = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, script] of Object.entries(commands)) {
      const s = timeIt(script);
      if (round > 0) results[name].push(s);
    }
    process.stdout.write(round === 0 ? 'warm-up done\n' : `round ${round}/${ROUNDS}\n`);
  }

  // In-process cold download: the pull itself, without process start (what the agent pays).
  const coldInproc = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    rmSync(d('s-inproc'), { recursive: true, force: true });
    const cold = await ImageService.open({ root: d('s-inproc'), snapshotter: false });
    await cold.pull(ref);
    cold.close();
    coldInproc.push((performance.now() - t0) / 1000);
  }

  // In-process warm re-pull: what the node agent pays (no process start).
  const svc = await ImageService.open({ root: join(d('s-warm'), 'images') });
  const inproc = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const r = await svc.pull(ref);
    inproc.push((performance.now() - t0) / 1000);
    if (r.fetched) throw new Error('warm re-pull fetched content');
  }
  svc.close();

  console.log(`\n${'command'.padEnd(34)} ${'median s'.padStart(9)}  [min..max]`);
  for (const [name, xs] of Object.entries(results)) {
    console.log(`${name.padEnd(34)} ${fmt(median(xs)).padStart(9)}  [${fmt(Math.min(...xs))}..${fmt(Math.max(...xs))}]`);
  }
  console.log(`${'skiff download (in-process)'.padEnd(34)} ${fmt(median(coldInproc)).padStart(9)}  [${fmt(Math.min(...coldInproc))}..${fmt(Math.max(...coldInproc))}]`);
  console.log(`${'skiff warm re-pull (in-process)'.padEnd(34)} ${fmt(median(inproc)).padStart(9)}  [${fmt(Math.min(...inproc))}..${fmt(Math.max(...inproc))}]`);

  const ratio = (a, b) => {
    const rs = results[a].map((x, i) => x / results[b][i]);
    return `${median(rs).toFixed(2)} [${Math.min(...rs).toFixed(2)}..${Math.max(...rs).toFixed(2)}]`;
  };
  console.log('\npaired ratios, median [min..max]:');
  console.log(`  skiff download / skopeo copy          ${ratio('skiff download', 'skopeo copy (download)')}   goal <= 1.0`);
  console.log(`  skiff pull+unpack / floor             ${ratio('skiff pull+unpack (CLI)', 'floor: curl+sha256sum+tar -xzf')}   goal <= 1.2`);
  console.log(`  skiff download in-process / skopeo   ${(median(coldInproc) / median(results['skopeo copy (download)'])).toFixed(2)} (medians, unpaired)`);
  console.log(`  warm re-pull in-process median        ${(median(inproc) * 1000).toFixed(1)} ms   goal <= 100 ms`);
} finally {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
}
