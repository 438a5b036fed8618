// The cluster's certificates: a CA made on first start, a serving certificate for this
// machine's names and addresses, and the admin client certificate the kubeconfig carries.
// All are kept under DATA_DIR/pki and reused on restart; the serving certificate is
// re-issued when this machine gains a name or address it does not cover.
import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

let x509Module: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 is only needed to make certificates (first start, node joins), and it
 * costs ~12 MB of resident memory once loaded, so it is loaded on first use. Its DI
 * container needs the Reflect metadata polyfill loaded first.
 */
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Module;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface ClusterPki {
  ca: KeyPair;
  serving: KeyPair;
  admin: KeyPair;
  /** What the API server authenticates to node agents with (logs, exec). */
  agentClient: KeyPair;
  dir: string;
}

/** An identity a client certificate asserts: CN is the user, each O a group (as kube reads them). */
export interface CertSubject {
  commonName: string;
  organizations?: string[];
}

function pemKey(pkcs8: ArrayBuffer): string {
  const b64 = Buffer.from(pkcs8).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']) as Promise<CryptoKey>;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

function escapeDn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

function dn(s: CertSubject): string {
  return [`CN=${escapeDn(s.commonName)}`, ...(s.organizations ?? []).map((o) => `O=${escapeDn(o)}`)].join(', ');
}

async function createCa(): Promise<KeyPair> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=skiff-ca@${Math.floor(Date.now() / 1000)}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

async function issue(ca: KeyPair, subject: CertSubject, usage: 'server' | 'client', sans: { dns: string[]; ips: string[] }): Promise<KeyPair> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const caCert = new x509.X509Certificate(ca.cert);
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (usage === 'server') {
    extensions.push(new x509.SubjectAlternativeNameExtension([
      ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
      ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
    ]));
  }
  const cert = await x509.X509CertificateGenerator.create({
    subject: dn(subject),
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.key),
    signingAlgorithm: ALG,
    extensions,
  });
  return { cert: cert.toString('pem'), key: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Signs a client certificate for `subject` with the cluster CA (used for admin and, later, node identities). */
export function issueClientCert(ca: KeyPair, subject: CertSubject): Promise<KeyPair> {
  return issue(ca, subject, 'client', { dns: [], ips: [] });
}

/** The names and addresses the serving certificate must cover on this machine. */
export function machineSans(): { dns: string[]; ips: string[] } {
  const ips = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) ips.add(a.address.replace(/%.*$/, ''));
  }
  return { dns: [...new Set(['localhost', hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'])], ips: [...ips] };
}

/** `dns:name` / `ip:addr` entries of a certificate, read with Node's own X.509 parser. */
function coveredSans(pem: string): Set<string> {
  const names = new X509Certificate(pem).subjectAltName?.split(', ') ?? [];
  const out = new Set<string>();
  for (const n of names) {
    if (n.startsWith('DNS:')) out.add(`dns:${n.slice(4)}`);
    else if (n.startsWith('IP Address:')) out.add(`ip:${canonicalIp(n.slice(11))}`);
  }
  return out;
}

/** One spelling per address: Node prints IPv6 SANs expanded and upper-case, os.networkInterfaces compressed. */
function canonicalIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}

function readPair(dir: string, name: string): KeyPair | undefined {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

// Written through a temp file and rename so a crash never leaves half a key behind.
function writePair(dir: string, name: string, pair: KeyPair): void {
  for (const [ext, data] of [['crt', pair.cert], ['key', pair.key]] as const) {
    const path = join(dir, `${name}.${ext}`);
    writeFileSync(`${path}.tmp`, data, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
}

/** Loads DATA_DIR/pki, creating the CA and certificates that are missing. */
export async function ensurePki(dataDir: string): Promise<ClusterPki> {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readPair(dir, 'ca');
  let fresh = false;
  if (!ca) {
    ca = await createCa();
    writePair(dir, 'ca', ca);
    fresh = true;
  }
  const sans = machineSans();
  let serving = fresh ? undefined : readPair(dir, 'server');
  if (serving) {
    const have = coveredSans(serving.cert);
    const missing = [...sans.dns.map((d) => `dns:${d}`), ...sans.ips.map((i) => `ip:${canonicalIp(i)}`)].some((n) => !have.has(n));
    if (missing) serving = undefined;
  }
  if (!serving) {
    serving = await issue(ca, { commonName: 'skiff-apiserver' }, 'server', sans);
    writePair(dir, 'server', serving);
  }
  let admin = fresh ? undefined : readPair(dir, 'admin');
  if (!admin) {
    admin = await issueClientCert(ca, { commonName: 'skiff-admin', organizations: ['system:masters'] });
    writePair(dir, 'admin', admin);
  }
  let agentClient = fresh ? undefined : readPair(dir, 'apiserver-agent-client');
  if (!agentClient) {
    agentClient = await issueClientCert(ca, { commonName: 'skiff-apiserver-agent-client', organizations: ['system:masters'] });
    writePair(dir, 'apiserver-agent-client', agentClient);
  }
  return { ca, serving, admin, agentClient, dir };
}
