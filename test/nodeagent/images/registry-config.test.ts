// The registries file: k3s's layout, endpoints in the order a pull tries them, and plain HTTP
// only on loopback unless an http:// endpoint is configured.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configKey, emptyRegistriesConfig, endpointsFor, isLoopbackHost, loadRegistriesConfig, validateRegistriesConfig } from '../../../nodeagent/images/index.js';

describe('registries config', () => {
  it('loads the k3s layout and orders mirrors before the registry, rewriting only on mirrors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-images-regcfg-'));
    try {
      const file = join(dir, 'registries.yaml');
      writeFileSync(file, [
        'mirrors:',
        '  docker.io:',
        '    endpoint: ["https://mirror.example.com", "http://10.0.0.5:5000/v2", "127.0.0.1:5001"]',
        '    rewrite:',
        '      "^library/(.*)": "hub/$1"',
        'configs:',
        '  mirror.example.com:',
        '    auth: {username: u, password: p}',
        '    tls: {ca_file: /etc/ssl/ca.pem, insecure_skip_verify: false}',
      ].join('\n'));
      const config = loadRegistriesConfig(file);
      const eps = endpointsFor(config, 'docker.io');
      expect(eps.map((e) => e.apiRoot)).toEqual([
        'https://mirror.example.com/v2', 'http://10.0.0.5:5000/v2', 'http://127.0.0.1:5001/v2', 'https://registry-1.docker.io/v2',
      ]);
      expect(eps.map((e) => e.rewrite('library/busybox'))).toEqual(['hub/busybox', 'hub/busybox', 'hub/busybox', 'library/busybox']);
      expect(config.configs['mirror.example.com']?.auth).toEqual({ username: 'u', password: 'p' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reaches loopback registries over plain HTTP and everything else over HTTPS by default', () => {
    const none = emptyRegistriesConfig();
    expect(endpointsFor(none, '127.0.0.1:5000')[0]!.apiRoot).toBe('http://127.0.0.1:5000/v2');
    expect(endpointsFor(none, '127.8.9.10:5000')[0]!.protocol).toBe('http:');
    expect(endpointsFor(none, 'localhost:5000')[0]!.protocol).toBe('http:');
    expect(endpointsFor(none, '[::1]:5000')[0]!.protocol).toBe('http:');
    expect(endpointsFor(none, '10.0.0.5:5000')[0]!.apiRoot).toBe('https://10.0.0.5:5000/v2');
    expect(endpointsFor(none, 'ghcr.io')[0]!.apiRoot).toBe('https://ghcr.io/v2');
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('finds Docker Hub settings under docker.io, the name users write', () => {
    const config = validateRegistriesConfig({ configs: { 'docker.io': { auth: { username: 'u', password: 'p' } } } });
    expect(configKey(config, 'registry-1.docker.io')).toBe('docker.io');
    expect(configKey(config, 'ghcr.io')).toBe('ghcr.io');
    expect(configKey(validateRegistriesConfig({ configs: { 'registry-1.docker.io': {} } }), 'registry-1.docker.io')).toBe('registry-1.docker.io');
  });

  it('uses the "*" mirrors for registries without their own entry', () => {
    const config = validateRegistriesConfig({ mirrors: { '*': { endpoint: ['http://cache.lan:5000'] } } });
    expect(endpointsFor(config, 'quay.io').map((e) => e.apiRoot)).toEqual(['http://cache.lan:5000/v2', 'https://quay.io/v2']);
  });

  it.each([
    [{ mirror: {} }, /mirror: unknown field/],
    [{ mirrors: { 'docker.io': { endpoints: [] } } }, /mirrors."docker.io".endpoints: unknown field/],
    [{ mirrors: { 'docker.io': { endpoint: ['ftp://x'] } } }, /endpoint\[0\]: .*http:\/\/ or https:\/\//],
    [{ mirrors: { 'docker.io': { rewrite: { '(': 'x' } } } }, /rewrite."\(": invalid regex/],
    [{ configs: { h: { auth: { user: 'x' } } } }, /configs."h".auth.user: unknown field/],
    [{ configs: { h: { auth: { auth: 'bm9jb2xvbg==' } } } }, /auth.auth: must be base64 of "username:password"/],
    [{ configs: { h: { tls: { insecure_skip_verify: 'yes' } } } }, /insecure_skip_verify: must be true or false/],
  ])('refuses %j naming the field', (doc, message) => {
    expect(() => validateRegistriesConfig(doc)).toThrow(message);
  });
});
