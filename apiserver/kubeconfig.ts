// The admin kubeconfig `skiff server` writes: the cluster CA, the server URL and the
// admin client certificate, in the format kubectl and client libraries read.
import { renameSync, writeFileSync } from 'node:fs';
import { dump } from 'js-yaml';
import type { KeyPair } from './pki.js';

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** Writes a kubeconfig for `url` authenticating with the client certificate `user`; atomically, mode 0600. */
export function writeKubeconfig(path: string, url: string, caCert: string, user: KeyPair, names = { cluster: 'skiff', user: 'skiff-admin', context: 'skiff' }): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: names.cluster, cluster: { server: url, 'certificate-authority-data': b64(caCert) } }],
    users: [{ name: names.user, user: { 'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key) } }],
    contexts: [{ name: names.context, context: { cluster: names.cluster, user: names.user } }],
    'current-context': names.context,
    preferences: {},
  };
  writeFileSync(`${path}.tmp`, dump(config), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
