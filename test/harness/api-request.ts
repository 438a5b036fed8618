// A raw HTTPS request with the credentials of a kubeconfig, for tests that need to see
// the wire (watch streams, status codes) rather than a client's interpretation of it.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import * as yaml from 'js-yaml';

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { name: string; user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
}

export interface Credentials {
  server: string;
  ca?: Buffer;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
}

export function credentialsFrom(kubeconfigPath: string): Credentials {
  const cfg = yaml.load(readFileSync(kubeconfigPath, 'utf8')) as Kubeconfig;
  const cluster = cfg.clusters[0]!.cluster;
  const user = cfg.users[0]!.user;
  const b64 = (s?: string) => (s ? Buffer.from(s, 'base64') : undefined);
  return {
    server: cluster.server,
    ca: b64(cluster['certificate-authority-data']),
    token: user.token,
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request; `anonymous` drops the credentials to check authentication. */
export function apiRequest(
  creds: Credentials,
  method: string,
  path: string,
  body?: unknown,
  opts: { anonymous?: boolean; contentType?: string; accept?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (!opts.anonymous && creds.token) headers.Authorization = `Bearer ${creds.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    }
    const req = https.request(`${creds.server}${path}`, {
      method,
      headers,
      ca: creds.ca,
      cert: opts.anonymous ? undefined : creds.cert,
      key: opts.anonymous ? undefined : creds.key,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Opens a watch and collects its events until `until` returns true for the collected
 * list or the timeout passes; the stream is closed either way.
 */
export function collectWatch(
  creds: Credentials,
  path: string,
  until: (events: { type: string; object: any }[]) => boolean,
  timeoutMs = 20_000,
): Promise<{ type: string; object: any }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: any }[] = [];
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (creds.token) headers.Authorization = `Bearer ${creds.token}`;
    const req = https.request(`${creds.server}${path}`, { headers, ca: creds.ca, cert: creds.cert, key: creds.key }, (res) => {
      if (res.statusCode !== 200) {
        let data = '';
        res.on('data', (d) => { data += d; });
        res.on('end', () => reject(new Error(`watch ${path}: HTTP ${res.statusCode}: ${data}`)));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) events.push(JSON.parse(line));
        }
        if (until(events)) finish();
      });
      res.on('end', finish);
    });
    const timer = setTimeout(finish, timeoutMs);
    function finish() {
      clearTimeout(timer);
      req.destroy();
      resolve(events);
    }
    req.on('error', (err) => { if (!req.destroyed) reject(err); });
    req.end();
  });
}
