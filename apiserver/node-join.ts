// How a machine joins the cluster (`skiff agent --server URL --token TOKEN`), k3s-style:
// the server keeps a join token in DATA_DIR/node-token, "<sha256 of the CA cert>.<secret>".
//  1. The agent fetches GET /cacerts (anonymous) without verifying TLS, and accepts the CA only
//     if its SHA-256 equals the token's first part: now it can verify the server.
//  2. Over verified TLS it POSTs /skiff/v1/node-credentials {"nodeName": "..."} with
//     `Authorization: Bearer <whole token>` and gets a client certificate for
//     CN=system:node:<nodeName>, O=system:nodes, which the node authorizer then limits.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDNS1123Subdomain } from '../api/index.js';
import type { UserInfo } from './authn.js';
import type { Authorizer } from './authz.js';
import { issueClientCert, type KeyPair } from './pki.js';
import { badRequest } from './status.js';

export const JOINERS_GROUP = 'skiff:node-joiners';
export const NODE_CREDENTIALS_PATH = '/skiff/v1/node-credentials';
export const CACERTS_PATH = '/cacerts';

/** The identity the join token authenticates as. */
export const JOINER: UserInfo = { name: 'skiff:node-joiner', groups: [JOINERS_GROUP] };

/** SHA-256 (hex) of a PEM certificate, as the join token's first part carries it. */
export function caHash(caPem: string): string {
  return createHash('sha256').update(caPem).digest('hex');
}

/** Reads DATA_DIR/node-token, creating it on first start; its CA part always matches `caPem`. */
export function ensureJoinToken(dataDir: string, caPem: string): string {
  const path = join(dataDir, 'node-token');
  const prefix = caHash(caPem);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.startsWith(`${prefix}.`)) return token;
  }
  const token = `${prefix}.${randomBytes(24).toString('hex')}`;
  writeFileSync(`${path}.tmp`, `${token}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return token;
}

/** The join token may fetch node credentials and nothing else. */
export const joinAuthorizer: Authorizer = {
  authorize: (a) => {
    if (!a.user.groups.includes(JOINERS_GROUP)) return 'no-opinion';
    return a.verb === 'create' && a.path === NODE_CREDENTIALS_PATH ? 'allow' : 'deny';
  },
};

/** Issues the client certificate a node agent authenticates with. */
export async function issueNodeCredentials(ca: KeyPair, body: unknown): Promise<{ nodeName: string; cert: string; key: string; ca: string }> {
  const nodeName = (body as { nodeName?: unknown } | null)?.nodeName;
  if (typeof nodeName !== 'string' || nodeName === '' || isDNS1123Subdomain(nodeName).length > 0) {
    throw badRequest(`issue node credentials: nodeName must be a lowercase DNS subdomain (e.g. "worker-1"), got ${JSON.stringify(nodeName)}`);
  }
  const pair = await issueClientCert(ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] });
  return { nodeName, cert: pair.cert, key: pair.key, ca: ca.cert };
}
