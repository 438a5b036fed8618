// The registries file, in k3s's registries.yaml layout, and the list of endpoints a pull tries
// for one registry host: its mirrors in order (with their rewrites), then the registry itself.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { load as loadYaml } from 'js-yaml';
import { apiHost } from './reference.js';

/** Credentials for one registry host; `auth` is base64("user:password") as in Docker's config.json. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  auth?: string;
  /** An OAuth2 refresh token, exchanged at the token server with grant_type=refresh_token. */
  identity_token?: string;
}

export interface RegistryTLS {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  insecure_skip_verify?: boolean;
}

export interface RegistryMirror {
  endpoint?: string[];
  /** Regex on the repository path -> replacement, applied on mirror endpoints only (as k3s does). */
  rewrite?: Record<string, string>;
}

export interface RegistriesConfig {
  mirrors: Record<string, RegistryMirror>;
  configs: Record<string, { auth?: RegistryCredentials; tls?: RegistryTLS }>;
}

/** One place a pull may fetch from. */
export interface RegistryEndpoint {
  /** `http:` or `https:` */
  protocol: 'http:' | 'https:';
  /** host[:port] as written, the key for `configs` (credentials and TLS belong to the endpoint host). */
  host: string;
  /** The API root, ending in `/v2`. */
  apiRoot: string;
  /** Maps the image's repository path to the path on this endpoint. */
  rewrite(path: string): string;
  /** True for the registry itself, false for a mirror. */
  isDefault: boolean;
}

/** An empty configuration: every registry reached directly, anonymously. */
export function emptyRegistriesConfig(): RegistriesConfig {
  return { mirrors: {}, configs: {} };
}

/** Reads and validates `file`; errors name the file and the field that is wrong. */
export function loadRegistriesConfig(file: string): RegistriesConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`read registries config ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    throw new Error(`parse registries config ${file}: ${(err as Error).message}`);
  }
  return validateRegistriesConfig(doc ?? {}, file);
}

/** Checks the shape of a parsed registries document; unknown keys are refused by name. */
export function validateRegistriesConfig(doc: unknown, source = 'registries config'): RegistriesConfig {
  const fail = (field: string, why: string): never => { throw new Error(`${source}: ${field}: ${why}`); };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc)) fail('(top level)', 'must be a mapping with `mirrors` and/or `configs`');
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) if (key !== 'mirrors' && key !== 'configs') fail(key, 'unknown field (expected mirrors, configs)');
  const config = emptyRegistriesConfig();

  const mirrors = top.mirrors ?? {};
  if (!isObject(mirrors)) fail('mirrors', 'must be a mapping of registry host to {endpoint, rewrite}');
  for (const [host, value] of Object.entries(mirrors as Record<string, unknown>)) {
    const field = `mirrors."${host}"`;
    if (!isObject(value)) fail(field, 'must be a mapping with endpoint and/or rewrite');
    const m = value as Record<string, unknown>;
    for (const key of Object.keys(m)) if (key !== 'endpoint' && key !== 'rewrite') fail(`${field}.${key}`, 'unknown field (expected endpoint, rewrite)');
    const endpoint = m.endpoint ?? [];
    if (!Array.isArray(endpoint) || endpoint.some((e) => typeof e !== 'string' || !e)) fail(`${field}.endpoint`, 'must be a list of URLs');
    for (const [i, e] of (endpoint as string[]).entries()) {
      try { parseEndpointUrl(e); } catch (err) { fail(`${field}.endpoint[${i}]`, (err as Error).message); }
    }
    const rewrite = m.rewrite ?? {};
    if (!isObject(rewrite)) fail(`${field}.rewrite`, 'must be a mapping of regex to replacement');
    for (const [pattern, replacement] of Object.entries(rewrite as Record<string, unknown>)) {
      if (typeof replacement !== 'string') fail(`${field}.rewrite."${pattern}"`, 'replacement must be a string');
      try { new RegExp(pattern); } catch (err) { fail(`${field}.rewrite."${pattern}"`, `invalid regex: ${(err as Error).message}`); }
    }
    config.mirrors[host] = { endpoint: endpoint as string[], rewrite: rewrite as Record<string, string> };
  }

  const configs = top.configs ?? {};
  if (!isObject(configs)) fail('configs', 'must be a mapping of registry host to {auth, tls}');
  for (const [host, value] of Object.entries(configs as Record<string, unknown>)) {
    const field = `configs."${host}"`;
    if (!isObject(value)) fail(field, 'must be a mapping with auth and/or tls');
    const c = value as Record<string, unknown>;
    for (const key of Object.keys(c)) if (key !== 'auth' && key !== 'tls') fail(`${field}.${key}`, 'unknown field (expected auth, tls)');
    const entry: { auth?: RegistryCredentials; tls?: RegistryTLS } = {};
    if (c.auth !== undefined) {
      if (!isObject(c.auth)) fail(`${field}.auth`, 'must be a mapping');
      const auth = c.auth as Record<string, unknown>;
      for (const [k, v] of Object.entries(auth)) {
        if (!['username', 'password', 'auth', 'identity_token'].includes(k)) fail(`${field}.auth.${k}`, 'unknown field (expected username, password, auth, identity_token)');
        if (typeof v !== 'string') fail(`${field}.auth.${k}`, 'must be a string');
      }
      if (auth.auth !== undefined && !Buffer.from(auth.auth as string, 'base64').toString().includes(':')) {
        fail(`${field}.auth.auth`, 'must be base64 of "username:password"');
      }
      entry.auth = auth as RegistryCredentials;
    }
    if (c.tls !== undefined) {
      if (!isObject(c.tls)) fail(`${field}.tls`, 'must be a mapping');
      const tls = c.tls as Record<string, unknown>;
      for (const [k, v] of Object.entries(tls)) {
        if (k === 'insecure_skip_verify') { if (typeof v !== 'boolean') fail(`${field}.tls.${k}`, 'must be true or false'); }
        else if (['ca_file', 'cert_file', 'key_file'].includes(k)) { if (typeof v !== 'string') fail(`${field}.tls.${k}`, 'must be a file path'); }
        else fail(`${field}.tls.${k}`, 'unknown field (expected ca_file, cert_file, key_file, insecure_skip_verify)');
      }
      entry.tls = tls as RegistryTLS;
    }
    config.configs[host] = entry;
  }
  return config;
}

/**
 * The `configs` key for an endpoint host. Docker Hub's API host registry-1.docker.io is
 * configured under `docker.io` (what users write), though its own key also works.
 */
export function configKey(config: RegistriesConfig, host: string): string {
  if (host === 'registry-1.docker.io' && !config.configs[host]) return 'docker.io';
  return host;
}

/**
 * True for hosts Docker reaches over plain HTTP without configuration: localhost and loopback
 * addresses (127.0.0.0/8, ::1).
 */
export function isLoopbackHost(host: string): boolean {
  const name = stripPort(host).replace(/^\[|\]$/g, '');
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1';
  return false;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

function parseEndpointUrl(raw: string): { protocol: 'http:' | 'https:'; host: string; apiRoot: string } {
  // A scheme-less endpoint is HTTPS, except on loopback where Docker uses plain HTTP.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${isLoopbackHost(raw.split('/')[0]!) ? 'http' : 'https'}://${raw}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`endpoint "${raw}" must be an http:// or https:// URL`);
  if (url.username || url.password) throw new Error(`endpoint "${raw}" must not carry credentials; put them under configs`);
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v2')) path += '/v2';
  return { protocol: url.protocol, host: url.host, apiRoot: `${url.protocol}//${url.host}${path}` };
}

/**
 * The endpoints to try for registry `domain`, in order: its mirrors (or the `"*"` mirrors), then
 * the registry's own API host: HTTPS, or plain HTTP on loopback unless `configs` gives it TLS
 * settings.
 */
export function endpointsFor(config: RegistriesConfig, domain: string): RegistryEndpoint[] {
  const mirror = config.mirrors[domain] ?? config.mirrors['*'];
  const endpoints: RegistryEndpoint[] = [];
  const rules = Object.entries(mirror?.rewrite ?? {}).map(([p, r]) => [new RegExp(p), r] as const);
  const rewrite = (path: string): string => {
    for (const [re, replacement] of rules) if (re.test(path)) return path.replace(re, replacement);
    return path;
  };
  const host = apiHost(domain);
  for (const raw of mirror?.endpoint ?? []) {
    const e = parseEndpointUrl(raw);
    // k3s lists the default endpoint among mirrors sometimes; it still gets no rewrites.
    const isDefault = e.host === host;
    endpoints.push({ ...e, rewrite: isDefault ? (p) => p : rewrite, isDefault });
  }
  if (!endpoints.some((e) => e.isDefault)) {
    // A loopback registry with TLS settings under `configs` is meant to be reached over HTTPS.
    const e = parseEndpointUrl(isLoopbackHost(host) && config.configs[host]?.tls ? `https://${host}` : host);
    endpoints.push({ ...e, rewrite: (p) => p, isDefault: true });
  }
  return endpoints;
}
