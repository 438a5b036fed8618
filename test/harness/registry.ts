// A real OCI registry for tests: Debian's docker-registry (distribution 2.8) serving a temp
// directory on a free loopback port, either open, behind htpasswd basic auth, or behind a
// token server this harness runs itself (the Docker Hub flow: 401 + Bearer challenge, token
// GET with optional Basic credentials, JWT signed by a key the registry trusts).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/** Fails with a clear message when a tool the registry harness needs is missing (CI installs them). */
export function requireRegistryTools(): void {
  const missing: string[] = [];
  if (!existsSync(REGISTRY_BINARY)) missing.push('docker-registry');
  if (!existsSync('/usr/bin/skopeo')) missing.push('skopeo');
  if (!existsSync('/usr/bin/htpasswd')) missing.push('apache2-utils');
  if (!existsSync('/usr/bin/openssl')) missing.push('openssl');
  if (missing.length) throw new Error(`registry harness needs ${missing.join(', ')}: apt-get install -y ${missing.join(' ')}`);
}

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  /**
   * users: accounts the token server accepts (GET with Basic); refreshTokens: user -> OAuth2
   * refresh token accepted by POST; anonymous: grant pull to callers without credentials.
   */
  | { kind: 'token'; users?: Record<string, string>; anonymous?: boolean; refreshTokens?: Record<string, string> };

export interface TokenServer {
  url: string;
  /** Every token request seen, for asserting on caching and credentials. */
  requests: Array<{ scope: string[]; service: string | null; user: string | null; method: 'GET' | 'POST' }>;
}

export interface RegistryOptions {
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 (see `caFile`). */
  tls?: boolean;
}

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:38211 */
  host: string;
  /** With `tls`: the certificate clients must trust (it is its own CA). */
  caFile?: string;
  /** Where the registry keeps its data (docker/registry/v2/...); tests tamper with blobs here. */
  storageDir: string;
  tokenServer?: TokenServer;
  /** Path of a blob's bytes inside the registry's storage, for tampering. */
  blobPath(digest: string): string;
  /** Copies an OCI layout's image into this registry as host/repo:tag with skopeo. */
  push(layout: string, repoTag: string, options?: PushOptions): Promise<void>;
  stop(): Promise<void>;
}

export interface PushOptions {
  /** Tag inside the OCI layout (index.json annotation); default: the only image. */
  layoutTag?: string;
  /** 'v2s2' stores a Docker schema2 manifest instead of the layout's OCI manifest. */
  format?: 'oci' | 'v2s2';
  /** Copy every image of an index (multi-arch), not only this platform's. */
  all?: boolean;
}

/** A free loopback TCP port; the registry binary needs a fixed address in its config. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts docker-registry in a temp dir on a free loopback port and waits until /v2/ answers.
 * Everything (process, token server, temp dir) is removed by stop().
 */
export async function startRegistry(auth: RegistryAuth = { kind: 'none' }, options: RegistryOptions = {}): Promise<TestRegistry> {
  requireRegistryTools();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-images-registry-'));
  const storageDir = join(dir, 'storage');
  let tokenServer: (TokenServer & { close(): Promise<void> }) | undefined;
  let child: ChildProcess | undefined;
  const cleanup = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    let authYaml = '';
    if (auth.kind === 'basic') {
      const line = execFileSync('htpasswd', ['-Bbn', auth.username, auth.password]).toString().trim();
      writeFileSync(join(dir, 'htpasswd'), line + '\n');
      authYaml = `auth:\n  htpasswd:\n    realm: skiff-test\n    path: ${join(dir, 'htpasswd')}\n`;
    } else if (auth.kind === 'token') {
      const keyPath = join(dir, 'token.key');
      const certPath = join(dir, 'token.crt');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
        '-days', '2', '-subj', '/CN=skiff-test-token-issuer'], { stdio: 'ignore' });
      tokenServer = await startTokenServer({
        key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'),
        users: auth.users ?? {}, anonymous: auth.anonymous ?? false, refreshTokens: auth.refreshTokens ?? {},
      });
      authYaml = `auth:\n  token:\n    realm: ${tokenServer.url}/token\n    service: ${TOKEN_SERVICE}\n` +
        `    issuer: ${TOKEN_ISSUER}\n    rootcertbundle: ${certPath}\n`;
    }

    let tlsYaml = '';
    let caFile: string | undefined;
    if (options.tls) {
      caFile = join(dir, 'tls.crt');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', caFile,
        '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      tlsYaml = `\n  tls:\n    certificate: ${caFile}\n    key: ${join(dir, 'tls.key')}`;
    }

    // The port is chosen before the registry binds it; retry when another process wins the race.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const configPath = join(dir, 'config.yml');
      writeFileSync(configPath, [
        'version: 0.1',
        'log:\n  level: error\n  accesslog:\n    disabled: true',
        `storage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true`,
        `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString('hex')}${tlsYaml}`,
        authYaml,
      ].join('\n'));
      const proc = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = proc;
      let stderr = '';
      proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
      const ready = await waitForRegistry(port, proc, options.tls ?? false);
      if (ready) {
        const host = `127.0.0.1:${port}`;
        const pushCreds = auth.kind === 'basic' ? `${auth.username}:${auth.password}`
          : auth.kind === 'token' ? firstUser(auth.users) : undefined;
        return {
          host,
          caFile,
          storageDir,
          tokenServer: tokenServer ? { url: tokenServer.url, requests: tokenServer.requests } : undefined,
          blobPath: (digest) => {
            const hex = digest.replace(/^sha256:/, '');
            return join(storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
          },
          push: (layout, repoTag, pushOptions) => pushOciLayout(layout, `${host}/${repoTag}`, { ...pushOptions, creds: pushCreds }),
          stop: cleanup,
        };
      }
      if (attempt >= 4) throw new Error(`start docker-registry: not answering on 127.0.0.1:${port}: ${stderr.trim().slice(-500)}`);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function firstUser(users?: Record<string, string>): string | undefined {
  const entry = Object.entries(users ?? {})[0];
  return entry ? `${entry[0]}:${entry[1]}` : undefined;
}

async function waitForRegistry(port: number, proc: ChildProcess, tls: boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    const status = await new Promise<number>((resolve) => {
      const send = tls ? httpsRequest : request;
      const req = send({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 1000, rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    // 401 counts as up: the auth layer answers before the storage does.
    if (status === 200 || status === 401) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Copies the image tagged `options.layoutTag` (or the only one) of the OCI layout at `layout`
 * to `registryRef` (host:port/repo:tag) with skopeo, over plain HTTP.
 */
export async function pushOciLayout(layout: string, registryRef: string,
  options: PushOptions & { creds?: string } = {}): Promise<void> {
  const src = options.layoutTag ? `oci:${layout}:${options.layoutTag}` : `oci:${layout}`;
  const args = ['copy', '--quiet', '--dest-tls-verify=false', '--insecure-policy'];
  if (options.format === 'v2s2') args.push('--format', 'v2s2');
  if (options.all) args.push('--all');
  if (options.creds) args.push('--dest-creds', options.creds);
  args.push(src, `docker://${registryRef}`);
  try {
    await execFileAsync('skopeo', args, { maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`push ${layout} to ${registryRef}: ${(e.stderr || e.message).trim()}`);
  }
}

export const TOKEN_SERVICE = 'skiff-test-registry';
export const TOKEN_ISSUER = 'skiff-test-token-issuer';

/**
 * A token server in the shape distribution's `auth: token` expects: GET /token?service&scope,
 * optional Basic credentials, answer {token, access_token, expires_in, issued_at}. The JWT is
 * RS256 and carries the signing certificate in `x5c`, which distribution verifies against its
 * rootcertbundle (its other forms, `jwk` and libtrust `kid`, need libtrust key IDs).
 */
async function startTokenServer(opts: { key: string; cert: string; users: Record<string, string>; anonymous: boolean; refreshTokens: Record<string, string> })
  : Promise<TokenServer & { close(): Promise<void> }> {
  const certDer = new X509Certificate(opts.cert).raw.toString('base64');
  const requests: TokenServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') { res.writeHead(404).end(); return; }
    if (req.method === 'POST') {
      // OAuth2 (docs/spec/auth/oauth.md): a refresh token stands for the user it was issued to.
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const service = form.get('service');
        const user = Object.entries(opts.refreshTokens).find(([, t]) => t === form.get('refresh_token'))?.[0] ?? null;
        requests.push({ scope: scopes, service, user, method: 'POST' });
        if (form.get('grant_type') !== 'refresh_token' || user === null) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        // The OAuth2 answer carries only access_token.
        const { token, expiresIn, issuedAt } = issue(user, service, scopes);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: token, expires_in: expiresIn, issued_at: issuedAt }));
      });
      return;
    }
    const scopes = url.searchParams.getAll('scope');
    const service = url.searchParams.get('service');
    let user: string | null = null;
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(header.slice(6), 'base64').toString().split(':');
      if (opts.users[name!] === undefined || opts.users[name!] !== rest.join(':')) {
        requests.push({ scope: scopes, service, user: name ?? null, method: 'GET' });
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
        return;
      }
      user = name!;
    }
    requests.push({ scope: scopes, service, user, method: 'GET' });
    const { token, expiresIn, issuedAt } = issue(user, service, scopes);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: issuedAt }));
  });
  function issue(user: string | null, service: string | null, scopes: string[]): { token: string; expiresIn: number; issuedAt: string } {
    // Anonymous callers get nothing unless the server is public, like a private Hub repo.
    const access = user !== null || opts.anonymous ? scopes.flatMap(parseScope) : [];
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(opts.key, certDer, {
      iss: TOKEN_ISSUER, sub: user ?? '', aud: service ?? TOKEN_SERVICE,
      exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access,
    });
    return { token, expiresIn: 300, issuedAt: new Date(now * 1000).toISOString() };
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function parseScope(scope: string): Array<{ type: string; name: string; actions: string[] }> {
  // type:name:actions, where name may itself hold ':' (a registry host with a port).
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return [];
  return [{ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') }];
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function signJwt(keyPem: string, certDerB64: string, claims: object): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certDerB64] };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(keyPem);
  return `${signingInput}.${b64url(signature)}`;
}
