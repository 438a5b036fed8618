// Pod logs come from the node the pod runs on, as in kube: the API server finds the node's
// agent endpoint (status.addresses + status.daemonEndpoints.kubeletEndpoint.Port) and streams
// the agent's kubelet-compatible `GET /containerLogs/{ns}/{pod}/{container}` back to the client.
// Like kube-apiserver without --kubelet-certificate-authority, the agent's serving certificate
// is not verified; the API server authenticates to the agent with its own client certificate.
import https from 'node:https';
import type { ServerResponse } from 'node:http';
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
