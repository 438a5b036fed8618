// Pod logs come from the node the pod runs on, as in kube: the API server finds the node's
// agent endpoint (status.addresses + status.daemonEndpoints.kubeletEndpoint.Port) and streams
// the agent's kubelet-compatible `GET /containerLogs/{ns}/{pod}/{container}` back to the client.
// Exec is a WebSocket upgrade spliced onto the agent's kubelet-compatible `/exec/...`.
// Like kube-apiserver without --kubelet-certificate-authority, the agent's serving certificate
// is not verified; the API server authenticates to the agent with its own client certificate.
import https from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { KeyPair } from './pki.js';
import type { KubeObject } from './resources.js';
import { ApiError, badRequest } from './status.js';

const LOG_PARAMS = ['follow', 'tailLines', 'timestamps', 'sinceSeconds', 'sinceTime', 'limitBytes', 'previous'];

/** The agent's https://address:port for a Node, or undefined when it has not reported one. */
export function agentEndpoint(node: KubeObject): string | undefined {
  const status = (node.status ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  const address = ['InternalIP', 'ExternalIP', 'Hostname'].map((t) => status.addresses?.find((a) => a.type === t)?.address).find(Boolean);
  if (!port || !address) return undefined;
  return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Streams one container's log from the node agent to `res`; ends when either side does. */
export function proxyPodLogs(res: ServerResponse, pod: KubeObject, node: KubeObject | undefined, query: URLSearchParams, client: KeyPair): Promise<void> {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name: string }[]; initContainers?: { name: string }[] };
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name);
  const container = query.get('container') || (spec.containers?.length === 1 ? spec.containers[0]!.name : '');
  if (!container) {
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
  }
  if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  if (!spec.nodeName) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: the pod is not scheduled to a node yet`);
  const endpoint = node ? agentEndpoint(node) : undefined;
  if (!endpoint) {
    throw new ApiError(503, 'ServiceUnavailable', `get logs of pod ${ns}/${name}: node "${spec.nodeName}" has not reported a node agent endpoint (status.daemonEndpoints); is its agent running?`);
  }
  const params = new URLSearchParams();
  for (const p of LOG_PARAMS) {
    const v = query.get(p);
    if (v !== null) params.set(p, v);
  }
  const url = `${endpoint}/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${params}`;
  return new Promise((resolve, reject) => {
    const upstream = https.get(url, { cert: client.cert, key: client.key, rejectUnauthorized: false, timeout: 10_000 }, (up) => {
      upstream.setTimeout(0);
      const headers: Record<string, string> = { 'Content-Type': up.headers['content-type'] ?? 'text/plain' };
      res.writeHead(up.statusCode ?? 502, headers);
      res.flushHeaders();
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', () => { res.end(); resolve(); });
    });
    // P5: the client going away shows on the response, not the request.
    res.on('close', () => upstream.destroy());
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (err) => {
      if (res.headersSent) {
        res.end();
        resolve();
      } else {
        reject(new ApiError(502, 'ServiceUnavailable', `get logs of pod ${ns}/${name} from node "${spec.nodeName}" at ${endpoint}: ${err.message}`));
      }
    });
  });
}

/** Where a pod's exec stream goes: the agent endpoint, the container, and kubelet's query. */
export function execTarget(pod: KubeObject, node: KubeObject | undefined, query: URLSearchParams): { endpoint: string; path: string } {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name: string }[] };
  const names = (spec.containers ?? []).map((c) => c.name);
  const container = query.get('container') || (names.length === 1 ? names[0]! : '');
  if (!container) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  if (!spec.nodeName) throw badRequest(`pod ${name} is not scheduled to a node yet`);
  const endpoint = node ? agentEndpoint(node) : undefined;
  if (!endpoint) throw new ApiError(503, 'ServiceUnavailable', `exec in pod ${ns}/${name}: node "${spec.nodeName}" has not reported a node agent endpoint (status.daemonEndpoints); is its agent running?`);
  // kube-apiserver renames the streams for the kubelet: stdin -> input, stdout -> output, stderr -> error.
  const out = new URLSearchParams();
  for (const c of query.getAll('command')) out.append('command', c);
  const rename: Record<string, string> = { stdin: 'input', stdout: 'output', stderr: 'error', tty: 'tty' };
  for (const [from, to] of Object.entries(rename)) if (query.get(from) === 'true' || query.get(from) === '1') out.set(to, '1');
  return { endpoint, path: `/exec/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${out}` };
}

/**
 * Splices a client's WebSocket upgrade onto the agent: the upgrade request is replayed to the
 * agent with the client's key and subprotocols, so the agent's 101 answer (and everything
 * after it, in both directions) passes through unchanged.
 */
export function spliceUpgrade(client: Socket, head: Buffer, headers: IncomingHttpHeaders, target: { endpoint: string; path: string }, cert: KeyPair): void {
  const url = new URL(target.endpoint);
  const upstream = tlsConnect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), cert: cert.cert, key: cert.key, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
    const lines = [
      `GET ${target.path} HTTP/1.1`,
      `Host: ${url.host}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      `Sec-WebSocket-Key: ${headers['sec-websocket-key'] ?? ''}`,
      `Sec-WebSocket-Version: ${headers['sec-websocket-version'] ?? '13'}`,
    ];
    if (headers['sec-websocket-protocol']) lines.push(`Sec-WebSocket-Protocol: ${headers['sec-websocket-protocol']}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  const close = () => { upstream.destroy(); client.destroy(); };
  upstream.on('error', (err) => {
    if (client.writable && upstream.bytesRead === 0) {
      writeRawStatus(client, new ApiError(502, 'ServiceUnavailable', `exec: connect to node agent at ${target.endpoint}: ${err.message}`));
    }
    close();
  });
  upstream.on('close', close);
  client.on('error', close);
  client.on('close', close);
}

/** Answers a not-yet-upgraded socket with a Status as a plain HTTP response, then closes it. */
export function writeRawStatus(socket: Socket, err: unknown): void {
  const status = err instanceof ApiError ? err.toStatus() : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: String((err as Error)?.message ?? err), reason: 'InternalError', code: 500 };
  const body = JSON.stringify(status);
  socket.end(`HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
