// Who is calling: each Authenticator looks at one kind of credential and either names a
// user or passes. The chain is pluggable so node agents can get identities of their own
// (client certificates with CN=system:node:<name>, or bootstrap tokens) without touching
// the request path.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';

/** An authenticated caller, as kube's user.Info. */
export interface UserInfo {
  name: string;
  groups: string[];
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Names the caller from one kind of credential; undefined when this credential is absent. */
export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined | Promise<UserInfo | undefined>;
}

/**
 * Client certificates signed by the cluster CA (the TLS layer verified the chain): the
 * subject CN is the user and each O a group, as kube-apiserver reads them.
 */
export class ClientCertAuthenticator implements Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) return undefined;
    const cert = socket.getPeerCertificate?.();
    if (!cert || !cert.subject?.CN) return undefined;
    const o = cert.subject.O;
    const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
    return { name: String(cert.subject.CN), groups: [...groups, 'system:authenticated'] };
  }
}

/** Static bearer tokens (`Authorization: Bearer <token>`), compared in constant time. */
export class TokenAuthenticator implements Authenticator {
  private readonly tokens = new Map<string, { digest: Buffer; user: UserInfo }>();

  /** Adds or replaces a token; the token itself is kept only as a SHA-256 digest. */
  add(token: string, user: UserInfo): void {
    const digest = createHash('sha256').update(token).digest();
    this.tokens.set(digest.toString('hex'), { digest, user });
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const header = req.headers.authorization;
    if (!header || !/^bearer /i.test(header)) return undefined;
    const digest = createHash('sha256').update(header.slice(7).trim()).digest();
    const entry = this.tokens.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(entry.digest, digest)) return undefined;
    return { ...entry.user, groups: [...entry.user.groups, 'system:authenticated'] };
  }
}

/** Runs authenticators in order; the first that names a user wins. */
export async function authenticate(chain: Authenticator[], req: IncomingMessage): Promise<UserInfo | undefined> {
  for (const a of chain) {
    const user = await a.authenticate(req);
    if (user) return user;
  }
  return undefined;
}
