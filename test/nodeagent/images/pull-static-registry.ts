// A tiny registry of our own that serves an OCI layout read-only, with knobs to misbehave the
// ways real registries and proxies do: cut a blob short, ignore Range, redirect blobs to
// another origin, lie about Content-Type. The real docker-registry covers the normal paths.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

export interface StaticRegistryOptions {
  /** OCI layout to serve; tag -> the descriptor in its index.json. */
  layout: string;
  /** Cut blob bodies with this digest after N bytes, for the first `times` requests (default: always). */
  truncate?: { digest: string; after: number; times?: number };
  /** Answer Range requests with a full 200 body. */
  ignoreRange?: boolean;
  /** Answer blob GETs with 307 to this base URL + the same path. */
  redirectBlobsTo?: string;
  /** Replace a manifest's bytes / content type (served under its tag). */
  overrideManifest?: { body: Buffer; contentType: string };
  /** Answer the first `times` blob GETs with `status` (429 / 503), Retry-After 0. */
  failBlobs?: { status: number; times: number };
  /** Send the first `after` bytes of blob `digest`, then hold the connection open forever. */
  stall?: { digest: string; after: number };
  /** Manifest HEADs answer 405 (some proxies), or 200 without Docker-Content-Digest. */
  manifestHead?: 'method-not-allowed' | 'no-digest';
  /** Require this Authorization header value (Basic) on every /v2 request. */
  requireAuth?: string;
}

export interface StaticRegistry {
  host: string;
  url: string;
  /** Every request seen: method, path, headers. */
  requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>;
  stop(): Promise<void>;
}

/** Starts the server on a loopback port; it serves any repository name. */
export async function startStaticRegistry(opts: StaticRegistryOptions): Promise<StaticRegistry> {
  const requests: StaticRegistry['requests'] = [];
  const index = JSON.parse(readFileSync(join(opts.layout, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; mediaType: string; annotations?: Record<string, string> }>;
  };
  const blob = (digest: string): Buffer | undefined => {
    try { return readFileSync(join(opts.layout, 'blobs', 'sha256', digest.replace('sha256:', ''))); } catch { return undefined; }
  };
  let truncations = 0;
  let failures = 0;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ method: req.method ?? '', path, headers: req.headers });
    if (opts.requireAuth && req.headers.authorization !== opts.requireAuth) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="static"' }).end();
      return;
    }
    if (path === '/v2/') { res.writeHead(200).end('{}'); return; }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (!m) { notFound(res); return; }
    const [, , kind, reference] = m;
    if (kind === 'manifests') {
      const entry = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === reference);
      let body: Buffer | undefined;
      let type: string;
      const override = opts.overrideManifest;
      const overrideDigest = override ? 'sha256:' + createHash('sha256').update(override.body).digest('hex') : '';
      if (override && (entry || reference === overrideDigest)) {
        body = override.body;
        type = override.contentType;
      } else {
        const digest = entry?.digest ?? reference!;
        body = blob(digest);
        if (!body) { notFound(res); return; }
        const parsed = JSON.parse(body.toString()) as { mediaType?: string; manifests?: unknown };
        type = entry?.mediaType ?? parsed.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
      }
      const digest = 'sha256:' + createHash('sha256').update(body).digest('hex');
      if (req.method === 'HEAD' && opts.manifestHead === 'method-not-allowed') { res.writeHead(405).end(); return; }
      const headers: Record<string, string | number> = { 'content-type': type, 'docker-content-digest': digest, 'content-length': body.length };
      if (req.method === 'HEAD' && opts.manifestHead === 'no-digest') delete headers['docker-content-digest'];
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (opts.failBlobs && failures < opts.failBlobs.times) {
      failures++;
      res.writeHead(opts.failBlobs.status, { 'content-type': 'application/json' }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    if (opts.redirectBlobsTo) {
      res.writeHead(307, { location: opts.redirectBlobsTo + path }).end();
      return;
    }
    serveBlob(res, req.method ?? 'GET', req.headers.range, reference!);
  });

  function serveBlob(res: ServerResponse, method: string, range: string | undefined, digest: string): void {
    const data = blob(digest);
    if (!data) { notFound(res); return; }
    let start = 0;
    const r = /^bytes=(\d+)-$/.exec(range ?? '');
    if (r && !opts.ignoreRange) start = Number(r[1]);
    const body = data.subarray(start);
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-length': body.length, 'docker-content-digest': digest };
    if (start > 0) headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (method === 'HEAD') { res.end(); return; }
    if (opts.stall && opts.stall.digest === digest) {
      res.write(body.subarray(0, opts.stall.after));
      return;
    }
    const t = opts.truncate;
    if (t && t.digest === digest && (t.times === undefined || truncations < t.times)) {
      truncations++;
      // Send part of the body, then drop the connection: the client sees a short read.
      res.write(body.subarray(0, Math.max(0, t.after - start)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A plain blob server (the "presigned URL" host a registry redirects to); records headers. */
export async function startBlobHost(layout: string): Promise<StaticRegistry> {
  return startStaticRegistry({ layout });
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"not found"}]}');
}
