// pods/log is proxied to the node's agent (kubelet-compatible /containerLogs). The agent
// here is a stand-in HTTPS server that records what the API server asked for; the proxy
// (the thing under test) is real, and so is kubectl.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Kubectl } from '../harness/kubectl.js';
import { call, createNamespace, pod, startTestServer, type TestServer } from './helpers.js';

describe('pod logs and exec through the node agent', () => {
  let ts: TestServer;
  let agent: https.Server;
  const seen: { url: string; user?: string }[] = [];
  beforeAll(async () => {
    ts = await startTestServer('sqlite');
    agent = https.createServer({
      cert: readFileSync(`${ts.dataDir}/pki/server.crt`), key: readFileSync(`${ts.dataDir}/pki/server.key`),
      ca: readFileSync(`${ts.dataDir}/pki/ca.crt`), requestCert: true, rejectUnauthorized: true,
    }, (req, res) => {
      seen.push({ url: req.url!, user: (req.socket as TLSSocket).getPeerCertificate().subject?.CN as string | undefined });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('line 1\nline 2\n');
    });
    // Exec: answer like a kubelet speaking v5.channel.k8s.io: stdout frame, status frame, close 1000.
    const wss = new WebSocketServer({ server: agent, handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
    wss.on('connection', (ws, req) => {
      seen.push({ url: req.url!, user: (req.socket as TLSSocket).getPeerCertificate().subject?.CN as string | undefined });
      const command = new URL(req.url!, 'https://x').searchParams.getAll('command').join(' ');
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`ran: ${command}\n`)]));
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))]));
      ws.close(1000);
    });
    await new Promise<void>((r) => agent.listen(0, '127.0.0.1', () => r()));
    const port = (agent.address() as AddressInfo).port;
    await call(ts.creds, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'logs-node' },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
    });
    await call(ts.creds, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'silent-node' } });
    await createNamespace(ts.creds, 'logs');
    await call(ts.creds, 'POST', '/api/v1/namespaces/logs/pods', pod('web', { nodeName: 'logs-node' }));
    await call(ts.creds, 'POST', '/api/v1/namespaces/logs/pods', pod('quiet', { nodeName: 'silent-node' }));
    await call(ts.creds, 'POST', '/api/v1/namespaces/logs/pods', pod('pending'));
  });
  afterAll(async () => {
    await ts?.cleanup();
    await new Promise((r) => agent?.close(r));
  });

  it('streams the agent\'s answer, passing the log options and authenticating as the API server', async () => {
    const r = await call(ts.creds, 'GET', '/api/v1/namespaces/logs/pods/web/log?container=c&tailLines=2&timestamps=true&follow=false', undefined, { accept: '*/*' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('line 1\nline 2\n');
    const last = seen[seen.length - 1]!;
    expect(last.url).toBe('/containerLogs/logs/web/c?follow=false&tailLines=2&timestamps=true');
    expect(last.user).toBe('skiff-apiserver-agent-client');
  });

  it('answers with a Status saying what is missing', async () => {
    expect((await call(ts.creds, 'GET', '/api/v1/namespaces/logs/pods/pending/log')).status).toBe(400);
    expect((await call(ts.creds, 'GET', '/api/v1/namespaces/logs/pods/web/log?container=nope')).status).toBe(400);
    const quiet = await call(ts.creds, 'GET', '/api/v1/namespaces/logs/pods/quiet/log');
    expect(quiet.status).toBe(503);
    expect(quiet.json.message).toContain('silent-node');
  });

  it('works for kubectl logs', async () => {
    const k = new Kubectl('1.32', ts.server.kubeconfigPath);
    const r = await k.run(['-n', 'logs', 'logs', 'web', '--tail=2']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('line 1\nline 2\n');
  });

  it('splices kubectl exec\'s WebSocket onto the agent\'s /exec', async () => {
    const k = new Kubectl('1.32', ts.server.kubeconfigPath);
    const r = await k.run(['-n', 'logs', 'exec', 'web', '--', 'echo', 'hi there']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ran: echo hi there\n');
    const last = seen[seen.length - 1]!;
    expect(last.url).toBe('/exec/logs/web/c?command=echo&command=hi+there&output=1&error=1');
    expect(last.user).toBe('skiff-apiserver-agent-client');
    const quiet = await k.run(['-n', 'logs', 'exec', 'quiet', '--', 'true']);
    expect(quiet.code).not.toBe(0);
  });
});
