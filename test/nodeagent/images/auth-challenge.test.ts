// WWW-Authenticate parsing: the shapes real registries send (Docker Hub, GHCR, Harbor, ECR).
import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../../nodeagent/images/index.js';

describe('parseChallenges', () => {
  it.each([
    ['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }]],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['Bearer realm="https://x/token",error="insufficient_scope",scope="repository:a:pull,push"',
      [{ scheme: 'bearer', params: { realm: 'https://x/token', error: 'insufficient_scope', scope: 'repository:a:pull,push' } }]],
    ['Basic realm="a", Bearer realm="https://t",service=reg', [
      { scheme: 'basic', params: { realm: 'a' } }, { scheme: 'bearer', params: { realm: 'https://t', service: 'reg' } }]],
    ['bearer  realm = "with \\"quote\\""', [{ scheme: 'bearer', params: { realm: 'with "quote"' } }]],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });

  it('reads several WWW-Authenticate headers', () => {
    expect(parseChallenges(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.scheme)).toEqual(['basic', 'bearer']);
  });
});
