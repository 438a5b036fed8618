// The OCI Distribution client: resolve a reference to a manifest descriptor (HEAD first, it
// does not count as a pull on Docker Hub), fetch manifests by digest and verify them, and open
// blob streams that resume with Range after a dropped connection. Endpoints (mirrors, then the
// registry itself) come from the registries config.
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { Authorizer, pullScope, UnauthorizedError } from './auth.js';
import {
  DOCKER_SCHEMA1, MANIFEST_ACCEPT, formatPlatform, hostPlatform, isIndex, isManifest, platformMatches,
  type Descriptor, type Platform,
} from './media-types.js';
import { manifestReference, type ImageReference } from './reference.js';
import { configKey as configKeyFor, endpointsFor, type RegistriesConfig, type RegistryEndpoint } from './registries-config.js';
import { readBody, Transport, type HttpResponse } from './transport.js';

/** containerd's cap, also containers/image's: a manifest larger than this is refused. */
export const MAX_MANIFEST_BYTES = 4 << 20;
const ERROR_BODY_LIMIT = 64 << 10;
const MAX_ATTEMPTS = 5;
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/;

/** Failure talking to a registry; `code` is stable for callers (ErrImagePull reasons, exit codes). */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly code: 'not-found' | 'unauthorized' | 'denied' | 'invalid-manifest' | 'unsupported' | 'digest-mismatch' | 'too-large' | 'unavailable' | 'protocol',
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A repository as seen through one endpoint: where requests go and under which path. */
export interface RepositorySource {
  endpoint: RegistryEndpoint;
  /** Repository path on this endpoint (after the mirror's rewrite rules). */
  path: string;
}

export interface ResolvedManifest {
  descriptor: Descriptor;
  source: RepositorySource;
  /** The verified body, when resolving had to GET it (no usable HEAD). */
  bytes?: Buffer;
}

export interface RegistryClientOptions {
  config: RegistriesConfig;
  /** The platform picked out of image indexes; default: this machine's. */
  platform?: Platform;
  /** Base delay for 429/5xx/network retries (tests make it small). */
  retryDelayMs?: number;
}

/** Talks to registries for the image service; holds the connection pool and token cache. */
export class RegistryClient {
  readonly platform: Platform;
  private readonly transport: Transport;
  private readonly authorizer: Authorizer;
  private readonly retryDelayMs: number;

  constructor(private readonly options: RegistryClientOptions) {
    this.platform = options.platform ?? hostPlatform();
    this.retryDelayMs = options.retryDelayMs ?? 200;
    const { config } = options;
    this.transport = new Transport((host) => config.configs[configKeyFor(config, host)]?.tls);
    this.authorizer = new Authorizer(this.transport, (host) => config.configs[configKeyFor(config, host)]?.auth, (host) => configKeyFor(config, host));
  }

  /** Releases pooled connections. */
  close(): void {
    this.transport.close();
  }

  /** The sources a pull of `ref` tries, in order. */
  sources(ref: ImageReference): RepositorySource[] {
    return endpointsFor(this.options.config, ref.domain).map((endpoint) => ({ endpoint, path: endpoint.rewrite(ref.path) }));
  }

  /**
   * Resolves `ref` to its manifest (or index) descriptor, trying mirrors then the registry.
   * A mirror that is down or lacks the image is skipped. When every endpoint fails, an auth
   * failure is reported as such, else each endpoint's answer is listed.
   */
  async resolve(ref: ImageReference): Promise<ResolvedManifest> {
    const errors: Error[] = [];
    for (const source of this.sources(ref)) {
      try {
        const { descriptor, bytes } = await this.headManifest(source, manifestReference(ref));
        if (ref.digest && descriptor.digest !== ref.digest) {
          throw new RegistryError(`registry ${source.endpoint.host} answered digest ${descriptor.digest} for ${ref.digest}`, 'digest-mismatch');
        }
        return { descriptor, source, bytes };
      } catch (err) {
        errors.push(err as Error);
      }
    }
    const auth = errors.find((e) => e instanceof UnauthorizedError || (e instanceof RegistryError && e.code === 'unauthorized'));
    if (auth || errors.length === 1) throw auth ?? errors[0]!;
    // Several endpoints: say what each one answered, so a mirror's failure is not hidden.
    const last = errors[errors.length - 1] as RegistryError;
    const sources = this.sources(ref);
    const summary = errors.map((e, i) => `${sources[i]!.endpoint.isDefault ? 'registry' : 'mirror'} ${sources[i]!.endpoint.host}: ${e.message}`).join('; ');
    throw new RegistryError(`no endpoint could resolve ${manifestReference(ref)}: ${summary}`, last.code ?? 'unavailable', last.status, { cause: last });
  }

  private async headManifest(source: RepositorySource, reference: string): Promise<{ descriptor: Descriptor; bytes?: Buffer }> {
    const url = `${source.endpoint.apiRoot}/${source.path}/manifests/${reference}`;
    const head = await this.request(source, 'HEAD', url, { accept: MANIFEST_ACCEPT });
    head.body.resume();
    const digest = head.headers['docker-content-digest'];
    const length = Number(head.headers['content-length']);
    const mediaType = contentType(head.headers['content-type']);
    if (head.status === 200 && typeof digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(digest) && Number.isFinite(length) && mediaType) {
      checkManifestType(mediaType, source);
      return { descriptor: { mediaType, digest, size: length } };
    }
    if (head.status !== 200 && head.status !== 405) throw await this.statusError(head, source, `resolve ${source.path}:${reference}`);
    // No usable HEAD (405, or no digest header): GET and hash the body ourselves.
    const { bytes, mediaType: type } = await this.getManifestBytes(source, reference);
    const computed = sha256(bytes);
    checkManifestBody(bytes, type, computed);
    return { descriptor: { mediaType: type, digest: computed, size: bytes.length }, bytes };
  }

  /**
   * Fetches the manifest or index `descriptor` by digest and verifies its bytes, size and
   * media type. Schema1 and unknown types are refused.
   */
  async fetchManifest(source: RepositorySource, descriptor: Descriptor): Promise<Buffer> {
    if (descriptor.size > MAX_MANIFEST_BYTES) {
      throw new RegistryError(`fetch manifest ${descriptor.digest}: ${descriptor.size} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`, 'too-large');
    }
    const { bytes, mediaType } = await this.getManifestBytes(source, descriptor.digest);
    const actual = sha256(bytes);
    if (actual !== descriptor.digest) {
      throw new RegistryError(`fetch manifest ${descriptor.digest} from ${source.endpoint.host}: content has digest ${actual}; the registry or a proxy altered it`, 'digest-mismatch');
    }
    checkManifestBody(bytes, mediaType, descriptor.digest);
    return bytes;
  }

  private async getManifestBytes(source: RepositorySource, reference: string): Promise<{ bytes: Buffer; mediaType: string }> {
    const url = `${source.endpoint.apiRoot}/${source.path}/manifests/${reference}`;
    const res = await this.request(source, 'GET', url, { accept: MANIFEST_ACCEPT });
    if (res.status !== 200) throw await this.statusError(res, source, `fetch manifest ${source.path}@${reference}`);
    const declared = Number(res.headers['content-length']);
    if (declared > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw new RegistryError(`fetch manifest ${source.path}@${reference}: ${declared} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`, 'too-large');
    }
    const bytes = await readBody(res.body, MAX_MANIFEST_BYTES, `fetch manifest ${source.path}@${reference}`)
      .catch((err: Error) => { throw new RegistryError(err.message, 'too-large'); });
    const mediaType = contentType(res.headers['content-type']);
    checkManifestType(mediaType, source);
    return { bytes, mediaType };
  }

  /** Picks this node's manifest out of an image index or Docker manifest list. */
  selectPlatform(indexBytes: Buffer, indexDigest: string): Descriptor {
    const index = JSON.parse(indexBytes.toString()) as { manifests?: Descriptor[] };
    const entries = index.manifests ?? [];
    // Attestations (unknown/unknown) and types we do not know are skipped, never an error.
    const candidates = entries.filter((d) => isManifest(d.mediaType) && d.platform?.os !== 'unknown');
    const match = candidates.find((d) => platformMatches(d.platform, this.platform));
    if (!match) {
      const offered = candidates.map((d) => (d.platform ? formatPlatform(d.platform) : '?')).join(', ') || 'none';
      throw new RegistryError(`select platform in index ${indexDigest}: no image for ${formatPlatform(this.platform)} (offered: ${offered})`, 'not-found');
    }
    return match;
  }

  /**
   * Opens blob `digest` at byte `offset`. Returns a stream positioned at `offset`: a 206
   * answer is used as is, a 200 (server ignored Range) has its first `offset` bytes dropped.
   */
  async openBlob(source: RepositorySource, descriptor: Descriptor, offset: number): Promise<Readable> {
    const urls = [...(descriptor.urls ?? []).filter((u) => /^https?:\/\//.test(u)),
      `${source.endpoint.apiRoot}/${source.path}/blobs/${descriptor.digest}`];
    let lastError: unknown;
    // Foreign layers name their own URLs; the registry is the fallback.
    for (const url of urls) {
      try {
        const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
        const res = await this.request(source, 'GET', url, headers);
        if (res.status === 206 && offset > 0) {
          const start = /bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
          if (!start || Number(start[1]) !== offset) {
            res.body.destroy();
            throw new RegistryError(`fetch blob ${descriptor.digest}: asked for bytes from ${offset}, got ${res.headers['content-range']}`, 'protocol');
          }
          return res.body;
        }
        if (res.status === 200) {
          if (offset === 0) return res.body;
          const skipped = skipBytes(offset);
          res.body.on('error', (err) => skipped.destroy(err));
          return res.body.pipe(skipped);
        }
        throw await this.statusError(res, source, `fetch blob ${descriptor.digest}`);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /**
   * Sends one registry request with auth and retries: a 401 is answered once with the
   * challenge's credential; 429, 408, 5xx and network errors are retried with backoff
   * (Retry-After honoured). Non-retryable statuses are returned for the caller to read.
   */
  private async request(source: RepositorySource, method: 'GET' | 'HEAD', url: string, headers: Record<string, string>): Promise<HttpResponse> {
    const host = source.endpoint.host;
    const scope = pullScope(source.path);
    let challenged = false;
    for (let attempt = 1; ; attempt++) {
      const auth = this.authorizer.headerFor(host, scope);
      let res: HttpResponse;
      try {
        res = await this.transport.send({ method, url, headers: auth ? { ...headers, authorization: auth } : headers });
      } catch (err) {
        const code = String((err as NodeJS.ErrnoException).code ?? '');
        if (TLS_ERROR.test(code)) {
          throw new RegistryError(`${method} ${url}: TLS: ${(err as Error).message}; add the registry's CA under configs."${configKeyFor(this.options.config, host)}".tls.ca_file`, 'unavailable', undefined, { cause: err });
        }
        // No one listening or no such host: retrying will not help; the next endpoint might.
        if (attempt >= MAX_ATTEMPTS || UNREACHABLE.has(code)) {
          throw new RegistryError(`${method} ${url}: ${(err as Error).message}; is the registry reachable?`, 'unavailable', undefined, { cause: err });
        }
        await delay(this.backoff(attempt));
        continue;
      }
      if (res.status === 401 && !challenged) {
        // First refusal: whatever we sent (nothing, or a cached token that may have been
        // revoked or expired early) is replaced by a fresh credential, once.
        res.body.resume();
        challenged = true;
        await this.authorizer.challenge(host, scope, res.headers['www-authenticate'], undefined);
        continue;
      }
      if (res.status === 401) {
        res.body.resume();
        await this.authorizer.challenge(host, scope, res.headers['www-authenticate'], auth ?? 'refused');
      }
      if ((res.status === 429 || res.status === 408 || res.status >= 500) && attempt < MAX_ATTEMPTS) {
        res.body.resume();
        const retryAfter = Number(res.headers['retry-after']);
        await delay(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 30_000) : this.backoff(attempt));
        continue;
      }
      return res;
    }
  }

  private backoff(attempt: number): number {
    return this.retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
  }

  private async statusError(res: HttpResponse, source: RepositorySource, what: string): Promise<RegistryError> {
    const body = (await readBody(res.body, ERROR_BODY_LIMIT, what).catch(() => Buffer.alloc(0))).toString();
    let detail = '';
    let code = '';
    try {
      const parsed = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
      code = parsed.errors?.[0]?.code ?? '';
      detail = parsed.errors?.map((e) => `${e.code}: ${e.message}`).join('; ') ?? '';
    } catch {
      detail = body.trim().slice(0, 200);
    }
    const at = `${source.endpoint.host}`;
    if (res.status === 404) {
      return new RegistryError(`${what}: not found on ${at}${detail ? ` (${detail})` : ''}; check the repository name and tag`, 'not-found', 404);
    }
    if (res.status === 401) {
      return new RegistryError(`${what}: unauthorized by ${at}${detail ? ` (${detail})` : ''}; check configs."${configKeyFor(this.options.config, source.endpoint.host)}".auth in the registries config`, 'unauthorized', 401);
    }
    if (res.status === 403) return new RegistryError(`${what}: access denied by ${at}${detail ? ` (${detail})` : ''}`, 'denied', 403);
    if (res.status === 429) return new RegistryError(`${what}: rate limited by ${at} (429 toomanyrequests); retry later, authenticate, or configure a mirror`, 'unavailable', 429);
    return new RegistryError(`${what}: HTTP ${res.status} from ${at}${code || detail ? ` (${detail || code})` : ''}`, res.status >= 500 ? 'unavailable' : 'protocol', res.status);
  }
}

function contentType(value: string | undefined): string {
  // Parameters (`; charset=utf-8`) are ignored, as the distribution spec says.
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

function checkManifestType(mediaType: string, source: RepositorySource): void {
  if (DOCKER_SCHEMA1.includes(mediaType)) {
    throw new RegistryError(`registry ${source.endpoint.host} served ${source.path} as a Docker schema1 manifest, which is not supported (deprecated since 2017); rebuild or re-push the image with a current tool`, 'unsupported');
  }
}

/**
 * Checks a manifest body: valid JSON, schemaVersion 2, a known manifest/index type, and a
 * `mediaType` field (when present) equal to the Content-Type the registry sent.
 */
function checkManifestBody(bytes: Buffer, contentTypeHeader: string, digest: string): void {
  let doc: { schemaVersion?: number; mediaType?: string; manifests?: unknown; layers?: unknown; config?: unknown };
  try {
    doc = JSON.parse(bytes.toString());
  } catch {
    throw new RegistryError(`parse manifest ${digest}: not valid JSON`, 'invalid-manifest');
  }
  if (doc.schemaVersion === 1) throw new RegistryError(`parse manifest ${digest}: Docker schema1 manifests are not supported; re-push the image with a current tool`, 'unsupported');
  if (doc.schemaVersion !== 2) throw new RegistryError(`parse manifest ${digest}: schemaVersion must be 2`, 'invalid-manifest');
  if (doc.mediaType && contentTypeHeader && doc.mediaType !== contentTypeHeader) {
    throw new RegistryError(`parse manifest ${digest}: mediaType field "${doc.mediaType}" disagrees with the Content-Type "${contentTypeHeader}" the registry sent`, 'invalid-manifest');
  }
  const type = doc.mediaType || contentTypeHeader;
  if (!isIndex(type) && !isManifest(type)) {
    throw new RegistryError(`parse manifest ${digest}: media type "${type || '(none)'}" is not an image manifest or index`, 'unsupported');
  }
}

/** The media type of a verified manifest body (its field, else what the registry sent). */
export function manifestMediaType(bytes: Buffer, fallback: string): string {
  const doc = JSON.parse(bytes.toString()) as { mediaType?: string; manifests?: unknown };
  return doc.mediaType || fallback || (doc.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json');
}

function skipBytes(count: number): Transform {
  let left = count;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (left >= chunk.length) { left -= chunk.length; done(); return; }
      const rest = left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
      done(null, rest);
    },
  });
}

function sha256(data: Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
