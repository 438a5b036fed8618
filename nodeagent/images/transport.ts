// HTTP(S) requests to registries over node:http/node:https (faster than fetch for large
// blobs, see the facts file), with keep-alive agents per TLS setting, redirects followed up to
// 10 hops, and the Authorization header never sent to an origin other than the one it was
// issued for: blob GETs on S3-backed registries 307 to presigned URLs on another host.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RegistryTLS } from './registries-config.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** A response whose body has not been read; the caller consumes or destroys `body`. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: string;
  body: IncomingMessage;
}

export const MAX_REDIRECTS = 10;
const SOCKET_IDLE_TIMEOUT_MS = 30_000;

/** Sends requests; one per image service, so connections are reused across a pull. */
export class Transport {
  private readonly agents = new Map<string, HttpAgent | HttpsAgent>();

  /** `tlsFor(host)` gives the registries-config TLS settings for an endpoint host, if any. */
  constructor(private readonly tlsFor: (host: string) => RegistryTLS | undefined = () => undefined) {}

  /**
   * Sends `req`, following redirects. Authorization goes only to the request's own origin:
   * a hop to another origin drops it, as Docker, containerd and browsers do.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(req.url);
    const origin = url.origin;
    let method = req.method;
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'skiff', ...req.headers };
      if (url.origin !== origin) {
        for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
      }
      const res = await this.once(method, url, headers, body);
      const status = res.statusCode ?? 0;
      if (![301, 302, 303, 307, 308].includes(status) || !res.headers.location) {
        return { status, headers: res.headers, url: url.toString(), body: res };
      }
      res.resume();
      if (hop + 1 > MAX_REDIRECTS) throw new Error(`${req.method} ${req.url}: more than ${MAX_REDIRECTS} redirects`);
      url = new URL(res.headers.location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${req.method} ${req.url}: redirect to unsupported URL ${url}`);
      if (status === 303 && method === 'POST') { method = 'GET'; body = undefined; }
    }
  }

  /** Closes idle keep-alive connections so a CLI process can exit. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private once(method: string, url: URL, headers: Record<string, string>, body?: Buffer): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const options = { method, headers: body ? { ...headers, 'content-length': String(body.length) } : headers, agent: this.agentFor(url) };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        res.setTimeout(SOCKET_IDLE_TIMEOUT_MS, () => res.destroy(new Error(`${method} ${url}: no data for ${SOCKET_IDLE_TIMEOUT_MS / 1000}s`)));
        resolve(res);
      });
      req.setTimeout(SOCKET_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url}: no response for ${SOCKET_IDLE_TIMEOUT_MS / 1000}s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  private agentFor(url: URL): HttpAgent | HttpsAgent {
    const key = `${url.protocol}//${url.host}`;
    let agent = this.agents.get(key);
    if (!agent) {
      if (url.protocol === 'https:') {
        const tls = this.tlsFor(url.host) ?? {};
        agent = new HttpsAgent({
          keepAlive: true,
          ca: tls.ca_file ? readFileSync(tls.ca_file) : undefined,
          cert: tls.cert_file ? readFileSync(tls.cert_file) : undefined,
          key: tls.key_file ? readFileSync(tls.key_file) : undefined,
          rejectUnauthorized: !tls.insecure_skip_verify,
        });
      } else {
        agent = new HttpAgent({ keepAlive: true });
      }
      this.agents.set(key, agent);
    }
    return agent;
  }
}

/** Reads a whole body, failing once it passes `limit` bytes (manifests, tokens, errors). */
export async function readBody(res: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new Error(`${what}: response is larger than the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
