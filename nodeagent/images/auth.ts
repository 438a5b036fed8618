// Registry authentication: anonymous, Basic, and the Bearer-token flow of the distribution
// spec (Docker Hub, GHCR, Harbor...). A request goes out with whatever we already hold for its
// host and scope; a 401 carries a WWW-Authenticate challenge that says how to get more.
import type { RegistryCredentials } from './registries-config.js';
import { readBody, type Transport } from './transport.js';

/** One parsed WWW-Authenticate challenge: `Bearer realm="...",service="...",scope="..."`. */
export interface Challenge {
  /** Lowercased: `basic`, `bearer`. */
  scheme: string;
  params: Record<string, string>;
}

/** The registry wants credentials we do not have, or refused the ones we sent. */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
  readonly code = 'unauthorized';
}

const TOKEN_BODY_LIMIT = 1 << 20;
// The token spec's default lifetime, also its floor.
const MIN_TOKEN_SECONDS = 60;

/**
 * Parses a WWW-Authenticate header (one or several headers, possibly several challenges in
 * one) into challenges. Parameter values may be quoted, with backslash escapes.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : header ?? '';
  const challenges: Challenge[] = [];
  const token = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
  let i = 0;
  const skip = (): void => { while (i < text.length && /[\s,]/.test(text[i]!)) i++; };
  while (i < text.length) {
    skip();
    token.lastIndex = i;
    const scheme = token.exec(text);
    if (!scheme) break;
    i = token.lastIndex;
    const challenge: Challenge = { scheme: scheme[0].toLowerCase(), params: {} };
    challenges.push(challenge);
    // Parameters: name=value pairs until the next bare token (the next challenge's scheme).
    for (;;) {
      skip();
      token.lastIndex = i;
      const name = token.exec(text);
      if (!name) break;
      let j = token.lastIndex;
      while (text[j] === ' ') j++;
      if (text[j] !== '=') break;
      j++;
      while (text[j] === ' ') j++;
      let value = '';
      if (text[j] === '"') {
        j++;
        while (j < text.length && text[j] !== '"') {
          if (text[j] === '\\' && j + 1 < text.length) j++;
          value += text[j++];
        }
        j++;
      } else {
        token.lastIndex = j;
        const bare = token.exec(text);
        value = bare ? bare[0] : '';
        j = bare ? token.lastIndex : j;
      }
      challenge.params[name[0].toLowerCase()] = value;
      i = j;
    }
  }
  return challenges;
}

interface CachedToken { value: string; expiresAt: number }
type HostScheme = { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

/**
 * Holds what each registry host asked for and the tokens obtained, cached per
 * realm + service + scope until they expire. One per image service.
 */
export class Authorizer {
  private readonly schemes = new Map<string, HostScheme>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: Transport,
    private readonly credentialsFor: (host: string) => RegistryCredentials | undefined,
    /** The registries-config key people should put credentials under, for error messages. */
    private readonly configKeyFor: (host: string) => string = (host) => host,
  ) {}

  /** The Authorization header to send to `host` for `scope` now, if we hold one. */
  headerFor(host: string, scope: string): string | undefined {
    const scheme = this.schemes.get(host);
    if (!scheme) return undefined;
    if (scheme.kind === 'basic') {
      const basic = basicAuth(this.credentialsFor(host));
      return basic ? `Basic ${basic}` : undefined;
    }
    const cached = this.tokens.get(tokenKey(scheme, scope));
    return cached && cached.expiresAt > Date.now() ? `Bearer ${cached.value}` : undefined;
  }

  /**
   * Reacts to a 401 from `host`: learns its scheme and obtains a fresh credential for
   * `scope`. `sent` is a header that was refused although it was fresh: the credentials are
   * wrong or lack access, which throws UnauthorizedError saying what to do.
   */
  async challenge(host: string, scope: string, wwwAuthenticate: string | string[] | undefined, sent: string | undefined): Promise<void> {
    const challenges = parseChallenges(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    const creds = this.credentialsFor(host);
    const hint = `configs."${this.configKeyFor(host)}".auth in the registries config (--registry-config)`;
    if (bearer) {
      const scheme: HostScheme = { kind: 'bearer', realm: bearer.params.realm!, service: bearer.params.service };
      this.schemes.set(host, scheme);
      // The challenge's own scope is authoritative (it may name more than we guessed).
      const wanted = bearer.params.scope ?? scope;
      const key = tokenKey(scheme, scope);
      if (sent?.startsWith('Bearer ')) {
        this.tokens.delete(key);
        const why = bearer.params.error === 'insufficient_scope' ? `the token does not grant ${wanted}` : 'the token was refused';
        throw new UnauthorizedError(creds ? `unauthorized: ${why}; check the account in ${hint} has access`
          : `unauthorized: registry asked for credentials (${why} for anonymous access); add them under ${hint}`);
      }
      await this.fetchToken(scheme, key, wanted, creds, host);
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      this.schemes.set(host, { kind: 'basic' });
      if (!basicAuth(creds)) throw new UnauthorizedError(`unauthorized: registry asked for credentials; add them under ${hint}`);
      if (sent?.startsWith('Basic ')) throw new UnauthorizedError(`unauthorized: registry refused the credentials in ${hint}`);
      return;
    }
    throw new UnauthorizedError(`unauthorized: registry answered 401 without a usable challenge (${String(wwwAuthenticate ?? 'no WWW-Authenticate header')})`);
  }

  private async fetchToken(scheme: Extract<HostScheme, { kind: 'bearer' }>, key: string, scope: string,
    creds: RegistryCredentials | undefined, host: string): Promise<void> {
    // Parallel layer fetches that all hit a 401 share one token request.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.requestToken(scheme, scope, creds, host).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    this.tokens.set(key, await pending);
  }

  private async requestToken(scheme: Extract<HostScheme, { kind: 'bearer' }>, scope: string,
    creds: RegistryCredentials | undefined, host: string): Promise<CachedToken> {
    const url = new URL(scheme.realm);
    let res;
    if (creds?.identity_token) {
      // An identity token is an OAuth2 refresh token: exchange it with a form POST.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identity_token, client_id: 'skiff', scope });
      if (scheme.service) form.set('service', scheme.service);
      res = await this.transport.send({
        method: 'POST', url: url.toString(), body: Buffer.from(form.toString()),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    } else {
      if (scheme.service) url.searchParams.set('service', scheme.service);
      for (const s of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', s);
      const basic = basicAuth(creds);
      // Without credentials the request is anonymous: Docker Hub issues pull tokens for public repos.
      res = await this.transport.send({ method: 'GET', url: url.toString(), headers: basic ? { authorization: `Basic ${basic}` } : {} });
    }
    const body = await readBody(res.body, TOKEN_BODY_LIMIT, `get token from ${scheme.realm}`);
    if (res.status === 401 || res.status === 403) {
      throw new UnauthorizedError(`unauthorized: token server ${scheme.realm} refused the credentials in configs."${this.configKeyFor(host)}".auth`);
    }
    if (res.status !== 200) throw new Error(`get token from ${scheme.realm}: HTTP ${res.status}: ${body.toString().slice(0, 200)}`);
    let parsed: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      parsed = JSON.parse(body.toString());
    } catch {
      throw new Error(`get token from ${scheme.realm}: response is not JSON`);
    }
    const value = parsed.token || parsed.access_token;
    if (!value) throw new Error(`get token from ${scheme.realm}: response has neither token nor access_token`);
    const lifetime = Math.max(Number(parsed.expires_in) || MIN_TOKEN_SECONDS, MIN_TOKEN_SECONDS);
    const issued = parsed.issued_at ? Date.parse(parsed.issued_at) : NaN;
    // A skewed issued_at from the server must not make a fresh token look expired.
    const start = Number.isFinite(issued) && Math.abs(issued - Date.now()) < 60_000 ? issued : Date.now();
    // Renew 5 s early so a token does not expire between the check and the request.
    return { value, expiresAt: start + lifetime * 1000 - 5000 };
  }
}

function tokenKey(scheme: Extract<HostScheme, { kind: 'bearer' }>, scope: string): string {
  return `${scheme.realm}\n${scheme.service ?? ''}\n${scope}`;
}

/** base64("user:password") from explicit fields or a Docker-style `auth` value. */
export function basicAuth(creds: RegistryCredentials | undefined): string | undefined {
  if (!creds) return undefined;
  if (creds.username !== undefined && creds.password !== undefined) {
    return Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
  }
  return creds.auth;
}

/** The scope a pull of `repository` needs: `repository:<path>:pull`. */
export function pullScope(repositoryPath: string): string {
  return `repository:${repositoryPath}:pull`;
}
