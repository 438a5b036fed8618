// Layer unpack throughput: Skiff's applyLayer (flatten and snapshot modes) against
// `tar -x` and umoci on the same layer, gzip and zstd. Run after `npm run build`:
//   node bench/unpack/run.mjs [sizeMiB=160] [runs=3]
// Each run unpacks into a fresh directory; removing it is outside the timing. CPU seconds
// (user+sys, this process or the peer's process tree) are printed too: on a shared, loaded
// machine wall time mostly measures the neighbours.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenLayers } from '../../dist/nodeagent/images/flatten.js';
import { Snapshotter } from '../../dist/nodeagent/images/snapshots.js';

const sizeMiB = Number(process.argv[2] ?? 160);
const runs = Number(process.argv[3] ?? 3);
const work = mkdtempSync('/tmp/skiff-bench-unpack-');
const sh = (cmd) => execFileSync('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
/** Runs a peer command and returns the CPU seconds its process tree used (the shell's `times`). */
const peerCpu = (cmd) => {
  const out = sh(`${cmd}; times`).trim().split('\n').pop();
  return out.split(/\s+/).map((t) => { const m = t.match(/(\d+)m([\d.]+)s/); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; }).reduce((a, b) => a + b, 0);
};

try {
  // One incompressible file (the doc's 160 MiB case) plus many small files (the usual image shape).
  const src = join(work, 'src');
  mkdirSync(join(src, 'big'), { recursive: true });
  sh(`head -c ${sizeMiB}M /dev/urandom > ${src}/big/blob`);
  for (let d = 0; d < 40; d++) {
    mkdirSync(join(src, 'small', String(d)), { recursive: true });
    for (let f = 0; f < 50; f++) writeFileSync(join(src, 'small', String(d), `f${f}`), `file ${d}/${f}\n`.repeat(40));
  }
  sh(`tar -C ${src} -cf ${work}/layer.tar .`);
  sh(`gzip -1 -c ${work}/layer.tar > ${work}/layer.tar.gz && zstd -q -3 -T0 -c ${work}/layer.tar > ${work}/layer.tar.zst`);
  const diffId = `sha256:${sh(`sha256sum ${work}/layer.tar`).slice(0, 64)}`;
  const tarMB = statSync(join(work, 'layer.tar')).size / 1e6;
  // umoci wants an OCI layout; build a minimal one around the gzip blob.
  const layout = join(work, 'layout');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const gzDigest = sh(`sha256sum ${work}/layer.tar.gz`).slice(0, 64);
  sh(`cp ${work}/layer.tar.gz ${layout}/blobs/sha256/${gzDigest}`);
  const put = (obj) => {
    const p = join(work, 'blob.json');
    writeFileSync(p, JSON.stringify(obj));
    const d = sh(`sha256sum ${p}`).slice(0, 64);
    sh(`mv ${p} ${layout}/blobs/sha256/${d}`);
    return { digest: `sha256:${d}`, size: Buffer.byteLength(JSON.stringify(obj)) };
  };
  const config = put({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } });
  const manifest = put({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${gzDigest}`, size: statSync(join(work, 'layer.tar.gz')).size }],
  });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'b' } }] }));

  let n = 0;
  const fresh = () => join(work, `out-${n++}`);
  const cases = [
    ['tar -xzf (gzip)', async (d) => { mkdirSync(d); return peerCpu(`tar -C ${d} -xzf ${work}/layer.tar.gz`); }],
    ['skiff flatten (gzip)', async (d) => { await flattenLayers([join(work, 'layer.tar.gz')], d, { diffIds: [diffId] }); }],
    ['skiff snapshot (gzip)', async (d) => { await new Snapshotter(d).apply({ chainId: diffId, diffId, layerPath: join(work, 'layer.tar.gz') }); }],
    ['umoci unpack (gzip)', async (d) => peerCpu(`umoci unpack --image ${layout}:b ${d} >/dev/null 2>&1`)],
    ['tar --zstd -xf (zstd)', async (d) => { mkdirSync(d); return peerCpu(`tar -C ${d} --zstd -xf ${work}/layer.tar.zst`); }],
    ['skiff flatten (zstd)', async (d) => { await flattenLayers([join(work, 'layer.tar.zst')], d, { diffIds: [diffId] }); }],
    ['tar -xf (plain)', async (d) => { mkdirSync(d); return peerCpu(`tar -C ${d} -xf ${work}/layer.tar`); }],
    ['skiff flatten (plain)', async (d) => { await flattenLayers([join(work, 'layer.tar')], d, { diffIds: [diffId] }); }],
  ];
  const results = new Map(cases.map(([name]) => [name, []]));
  const cpu = new Map(cases.map(([name]) => [name, []]));
  for (let r = 0; r < runs + 1; r++) {
    for (const [name, fn] of cases) {
      const d = fresh();
      const t = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const peer = await fn(d);
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      const c1 = process.cpuUsage(c0);
      // Skiff's own CPU; its zstd child is not counted (a peer's whole tree is).
      const cs = typeof peer === 'number' ? peer : (c1.user + c1.system) / 1e6;
      if (r > 0) {
        results.get(name).push(s); // first round warms the page cache
        cpu.get(name).push(cs);
      }
      rmSync(d, { recursive: true, force: true });
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`layer: ${tarMB.toFixed(1)} MB uncompressed (${sizeMiB} MiB random + 2000 small files), medians of ${runs}`);
  console.log('case                      wall s   MB/s  vs tar    cpu s  vs tar');
  const tarOf = { gzip: 'tar -xzf (gzip)', zstd: 'tar --zstd -xf (zstd)', plain: 'tar -xf (plain)' };
  for (const [name] of cases) {
    const m = median(results.get(name));
    const c = median(cpu.get(name));
    const kind = name.match(/\((\w+)\)/)[1];
    const pw = median(results.get(tarOf[kind]));
    const pc = median(cpu.get(tarOf[kind]));
    console.log(`${name.padEnd(25)} ${m.toFixed(3).padStart(6)} ${(tarMB / m).toFixed(0).padStart(6)} ${(m / pw).toFixed(2).padStart(6)}x ${c.toFixed(3).padStart(8)} ${(c / pc).toFixed(2).padStart(6)}x`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
