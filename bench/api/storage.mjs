#!/usr/bin/env node
// Storage micro-benchmark: the Storage interface on SQLite (fsync on every commit, and
// synchronous=NORMAL) and on etcd, with raw etcd3 puts/gets on the same etcd as the floor.
// Run after `npm run build`:  node bench/api/storage.mjs [--n 500]
// The API benchmark can import benchStorage() / benchRawEtcd() to add these rows to its table.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { Etcd3 } from 'etcd3';

const REPO = resolve(import.meta.dirname, '../..');

const now = () => process.hrtime.bigint();
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const value = Buffer.alloc(1024, 'x'); // about the size of a small pod object

async function timeEach(n, fn) {
  const lat = [];
  for (let i = 0; i < n; i++) { const t0 = now(); await fn(i); lat.push(ms(t0)); }
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

async function throughput(n, concurrency, fn) {
  let next = 0;
  const t0 = now();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (next < n) await fn(next++); }));
  return n / (ms(t0) / 1000);
}

/** Latencies (ms) and rates (ops/s) of the Storage interface: create, get, CAS update, list, watch delivery. */
export async function benchStorage(storage, { n = 500, concurrency = 32, prefix = `/bench/${Date.now()}/` } = {}) {
  const revs = [];
  const create = await timeEach(n, async (i) => { revs[i] = await storage.create(`${prefix}k${String(i).padStart(6, '0')}`, value); });
  const get = await timeEach(n, (i) => storage.get(`${prefix}k${String(i).padStart(6, '0')}`));
  const update = await timeEach(n, async (i) => { revs[i] = await storage.update(`${prefix}k${String(i).padStart(6, '0')}`, value, revs[i]); });
  const list = await timeEach(20, () => storage.list({ prefix }));
  const createRate = await throughput(n, concurrency, (i) => storage.create(`${prefix}c${i}`, value));

  // Watch delivery: time from a write's start to its event reaching a watcher.
  const started = new Map();
  const delivered = [];
  const watch = storage.watch({
    prefix: `${prefix}w/`, afterRevision: await storage.currentRevision(),
    onEvents: (events) => { for (const e of events) delivered.push(ms(started.get(e.kv.key))); },
    onError: (err) => { throw err; },
  });
  for (let i = 0; i < 100; i++) {
    const key = `${prefix}w/${i}`;
    started.set(key, now());
    await storage.create(key, value);
    while (delivered.length <= i) await new Promise((r) => setImmediate(r));
  }
  watch.cancel();
  return { create, get, update, list, createRate, watch: { p50: quantile(delivered, 0.5), p99: quantile(delivered, 0.99) } };
}

/** The same shapes measured with raw etcd3 calls (no compare-and-swap): the floor for the etcd rows. */
export async function benchRawEtcd(client, { n = 500, concurrency = 32, prefix = `/bench-raw/${Date.now()}/` } = {}) {
  const create = await timeEach(n, (i) => client.put(`${prefix}k${String(i).padStart(6, '0')}`).value(value));
  const get = await timeEach(n, (i) => client.get(`${prefix}k${String(i).padStart(6, '0')}`).buffer());
  const update = await timeEach(n, (i) => client.put(`${prefix}k${String(i).padStart(6, '0')}`).value(value));
  const list = await timeEach(20, () => client.getAll().prefix(prefix).buffers());
  const createRate = await throughput(n, concurrency, (i) => client.put(`${prefix}c${i}`).value(value));
  return { create, get, update, list, createRate };
}

function freePort() {
  return new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
}

async function startEtcd() {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-storage-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const proc = spawn('/usr/bin/etcd', ['--name', 'bench', '--data-dir', dir, '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint, '--listen-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`, '--initial-cluster', `bench=http://127.0.0.1:${peer}`,
    '--log-level', 'warn', '--logger', 'zap'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try { if ((await (await fetch(`${endpoint}/health`)).json()).health === 'true') break; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint, stop: async () => { proc.kill('SIGTERM'); await new Promise((r) => proc.once('exit', r)); rmSync(dir, { recursive: true, force: true }); } };
}

async function main() {
  const args = process.argv.slice(2);
  const n = Number(args[args.indexOf('--n') + 1]) || 500;
  const { openStorage } = await import(pathToFileURL(join(REPO, 'dist/apiserver/storage/index.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-storage-'));
  const etcd = await startEtcd();
  const rows = [];
  try {
    for (const [name, config] of [
      ['sqlite (fsync)', { sqlitePath: join(dir, 'full.db') }],
      ['sqlite (normal)', { sqlitePath: join(dir, 'normal.db'), durability: 'normal' }],
      ['etcd Storage', { etcdEndpoints: [etcd.endpoint] }],
    ]) {
      const storage = openStorage(config);
      rows.push([name, await benchStorage(storage, { n })]);
      await storage.close();
    }
    const raw = new Etcd3({ hosts: etcd.endpoint });
    rows.push(['raw etcd3', await benchRawEtcd(raw, { n })]);
    raw.close();
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const floor = rows.find(([name]) => name === 'raw etcd3')[1];
  const f = (x) => (x === undefined ? '-' : x.toFixed(2));
  console.log(`storage benchmark: n=${n}, 1 KiB values; latencies in ms (p50/p99), ratio = p50 / raw etcd3 p50`);
  console.log(['backend', 'create', 'get', 'CAS update', 'list all', 'create/s (32 conc.)', 'watch delivery'].map((h) => h.padEnd(22)).join(''));
  for (const [name, r] of rows) {
    const cell = (m, base) => `${f(m.p50)}/${f(m.p99)}${base ? ` x${(m.p50 / base.p50).toFixed(1)}` : ''}`;
    console.log([
      name, cell(r.create, floor.create), cell(r.get, floor.get), cell(r.update, floor.update), cell(r.list, floor.list),
      `${Math.round(r.createRate)} x${(r.createRate / floor.createRate).toFixed(1)}`, r.watch ? cell(r.watch) : '-',
    ].map((c) => String(c).padEnd(22)).join(''));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => { console.error(err); process.exit(1); });
}
