#!/usr/bin/env node
// API server benchmark: the real `skiff server` on SQLite and on etcd, side by side,
// with raw etcd3 puts/gets/ranges as the floor. Prints p50/p99 latencies, watch fan-out
// and the server's memory. Run after `npm run build`:  node bench/api/run.mjs [--pods 1000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import https from 'node:https';
import net from 'node:net';
import * as yaml from 'js-yaml';
import { Etcd3 } from 'etcd3';

const REPO = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const PODS = Number(args[args.indexOf('--pods') + 1]) || 1000;
const CREATES = 300;
const GETS = 1000;
const LISTS = 20;
const WATCHERS = 100;
const WATCH_EVENTS = 30;

const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();

function freePort() {
  return new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
}

async function startEtcd() {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const proc = spawn('/usr/bin/etcd', ['--data-dir', dir, '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `default=http://127.0.0.1:${peer}`, '--name', 'default'], { stdio: 'ignore' });
  const client3 = new Etcd3({ hosts: endpoint });
  for (let i = 0; i < 100; i++) {
    try { await client3.get('/health'); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return { endpoint, client: client3, stop: async () => { client3.close(); proc.kill('SIGTERM'); await new Promise((r) => proc.once('exit', r)); rmSync(dir, { recursive: true, force: true }); } };
}

async function startSkiff(etcdEndpoint) {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-server-'));
  const argv = ['server', '--data-dir', dataDir, '--https-port', '0', '--disable-agent'];
  if (etcdEndpoint) argv.push('--etcd-endpoints', etcdEndpoint);
  // Run bin/skiff itself, not `node bin/skiff`: its #! line carries the V8 flags users get.
  const proc = spawn(join(REPO, 'bin/skiff'), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  let api;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    api?.agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 600; i++) {
    if (existsSync(kubeconfig)) {
      api ??= apiFrom(kubeconfig);
      try { if ((await api.request('GET', '/readyz')).status === 200) return { proc, api, stop }; } catch {}
    }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`skiff server did not start: ${out}`);
}

function apiFrom(kubeconfig) {
  const cfg = yaml.load(readFileSync(kubeconfig, 'utf8'));
  const cluster = cfg.clusters[0].cluster;
  const user = cfg.users[0].user;
  const b64 = (s) => (s ? Buffer.from(s, 'base64') : undefined);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 256, ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) });
  const base = new URL(cluster.server);
  const headers = user.token ? { Authorization: `Bearer ${user.token}` } : {};
  function request(method, path, body) {
    return new Promise((res, rej) => {
      const payload = body ? JSON.stringify(body) : undefined;
      const req = https.request({ host: base.hostname, port: base.port, path, method, agent,
        headers: { ...headers, Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}) } }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', rej);
      req.end(payload);
    });
  }
  function watch(path, onEvent) {
    const req = https.request({ host: base.hostname, port: base.port, path, agent, headers: { ...headers, Accept: 'application/json' } }, (r) => {
      let buf = '';
      r.setEncoding('utf8');
      r.on('data', (c) => { buf += c; let i; while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); if (line.trim()) onEvent(JSON.parse(line)); } });
    });
    req.end();
    return () => req.destroy();
  }
  return { request, watch, agent };
}

function pod(name) {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'web' }, annotations: { 'bench/note': 'x'.repeat(64) } },
    spec: { containers: [{ name: 'web', image: 'busybox:1.36', command: ['sleep', '3600'], ports: [{ containerPort: 80 }],
      env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function benchRawEtcd(etcd) {
  const value = JSON.stringify(pod('raw'));
  const create = [];
  for (let i = 0; i < CREATES; i++) { const t = now(); await etcd.client.put(`/bench/pods/raw-${i}`).value(value); create.push(ms(t)); }
  for (let i = CREATES; i < PODS; i++) await etcd.client.put(`/bench/pods/raw-${i}`).value(value);
  const get = [];
  for (let i = 0; i < GETS; i++) { const t = now(); await etcd.client.get(`/bench/pods/raw-${i % PODS}`).string(); get.push(ms(t)); }
  const list = [];
  for (let i = 0; i < LISTS; i++) { const t = now(); await etcd.client.getAll().prefix('/bench/pods/').strings(); list.push(ms(t)); }
  // Fan-out floor: WATCHERS etcd watches on the prefix.
  const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => etcd.client.watch().prefix('/bench/fan/').create()));
  const fan = [];
  for (let i = 0; i < WATCH_EVENTS; i++) {
    let seen = 0;
    const t = now();
    const done = new Promise((res) => { for (const w of watchers) w.once('put', () => { if (++seen === WATCHERS) res(); }); });
    await etcd.client.put(`/bench/fan/${i}`).value(value);
    await done;
    fan.push(ms(t));
  }
  await Promise.all(watchers.map((w) => w.cancel()));
  return { create, get, list, fan };
}

async function benchSkiff(server) {
  const { api } = server;
  const ns = 'bench';
  await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await new Promise((r) => setTimeout(r, 1000));
  const idleRss = rssMb(server.proc.pid);
  const base = `/api/v1/namespaces/${ns}/pods`;
  const create = [];
  for (let i = 0; i < CREATES; i++) {
    const t = now();
    const r = await api.request('POST', base, pod(`p-${i}`));
    create.push(ms(t));
    if (r.status !== 201) throw new Error(`create pod: ${r.status} ${r.body}`);
  }
  // The rest concurrently, 16 at a time, to fill the store quickly.
  for (let i = CREATES; i < PODS; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, PODS - i) }, (_, j) => api.request('POST', base, pod(`p-${i + j}`))));
  }
  const get = [];
  for (let i = 0; i < GETS; i++) { const t = now(); const r = await api.request('GET', `${base}/p-${i % PODS}`); get.push(ms(t)); if (r.status !== 200) throw new Error(`get: ${r.status}`); }
  const list = [];
  for (let i = 0; i < LISTS; i++) {
    const t = now();
    const r = await api.request('GET', base);
    list.push(ms(t));
    const n = JSON.parse(r.body).items.length;
    if (n !== PODS) throw new Error(`list returned ${n} pods, expected ${PODS}`);
  }
  const fullRss = rssMb(server.proc.pid);
  // Fan-out: WATCHERS API watches on the namespace's configmaps; time from the write to the last delivery.
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  let pending = null;
  const stops = [];
  for (let w = 0; w < WATCHERS; w++) {
    stops.push(api.watch(`${cms}?watch=true&allowWatchBookmarks=false`, (ev) => {
      if (ev.type === 'ADDED' && pending && ev.object.metadata.name === pending.name && ++pending.seen === WATCHERS) pending.done();
    }));
  }
  // Let every watch establish before measuring.
  await new Promise((r) => setTimeout(r, 1500));
  const fan = [];
  for (let i = 0; i < WATCH_EVENTS; i++) {
    const name = `fan-${i}`;
    const t = now();
    await new Promise((res) => { pending = { name, seen: 0, done: res }; api.request('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } }); });
    fan.push(ms(t));
  }
  stops.forEach((s) => s());
  return { create, get, list, fan, idleRss, fullRss };
}

function row(name, raw, sq, et, unit = 'ms') {
  const f = (x) => (x === undefined ? '-' : `${x.toFixed(2)}`);
  const r = (a, b) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);
  return `| ${name.padEnd(28)} | ${f(raw).padStart(9)} | ${f(sq).padStart(11)} | ${r(sq, raw).padStart(8)} | ${f(et).padStart(9)} | ${r(et, raw).padStart(8)} |`;
}

// Everything started is stopped even when a step fails, so a failed run leaves no etcd,
// server or data directory behind.
const etcd = await startEtcd();
let server;
let raw, sqlite, onEtcd;
try {
  console.error(`raw etcd3 floor (${PODS} keys) ...`);
  raw = await benchRawEtcd(etcd);
  console.error('skiff on sqlite ...');
  server = await startSkiff();
  sqlite = await benchSkiff(server);
  await server.stop();
  console.error('skiff on etcd ...');
  server = await startSkiff(etcd.endpoint);
  onEtcd = await benchSkiff(server);
} finally {
  await server?.stop();
  await etcd.stop();
}

const p = (xs, q) => (xs ? quantile(xs, q) : undefined);
console.log(`\nAPI server benchmark: ${PODS} pods, ${CREATES} sequential creates, ${GETS} gets, ${LISTS} lists, ${WATCHERS} watchers x ${WATCH_EVENTS} events`);
console.log('| metric                       | raw etcd3 | skiff/sqlite | vs raw | skiff/etcd | vs raw |');
console.log('|------------------------------|-----------|-------------|--------|-----------|--------|');
for (const [label, key, q] of [['create p50 (ms)', 'create', 0.5], ['create p99 (ms)', 'create', 0.99], ['get p50 (ms)', 'get', 0.5], ['get p99 (ms)', 'get', 0.99],
  [`list of ${PODS} p50 (ms)`, 'list', 0.5], [`list of ${PODS} p99 (ms)`, 'list', 0.99], [`watch fan-out x${WATCHERS} p50 (ms)`, 'fan', 0.5], [`watch fan-out x${WATCHERS} p99 (ms)`, 'fan', 0.99]]) {
  console.log(row(label, p(raw[key], q), p(sqlite[key], q), p(onEtcd[key], q)));
}
console.log(row('server RSS idle (MB)', undefined, sqlite.idleRss, onEtcd.idleRss));
console.log(row(`server RSS, ${PODS} pods (MB)`, undefined, sqlite.fullRss, onEtcd.fullRss));
console.log('\nGoals: create <= 2x raw etcd put, GET p99 <= 5 ms, list of 1000 pods <= 100 ms, RSS <= 100 MB with 1000 pods.');
