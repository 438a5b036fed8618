// Reference normalisation matches Docker's: what `docker pull X` would fetch, we fetch.
import { describe, expect, it } from 'vitest';
import { ReferenceError, formatReference, parseReference } from '../../../nodeagent/images/index.js';
import { apiHost } from '../../../nodeagent/images/reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['ghcr.io/org/team/app:v1', 'ghcr.io/org/team/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['127.0.0.1:5000/a/b:tag', '127.0.0.1:5000/a/b:tag'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`],
    ['my-registry.example.com:443/a__b/c.d-e', 'my-registry.example.com:443/a__b/c.d-e:latest'],
  ])('%s -> %s', (input, expected) => {
    expect(formatReference(parseReference(input))).toBe(expected);
  });

  it.each([
    ['', /non-empty/],
    ['Busybox', /must be lowercase/],
    ['example.com/Org/app', /must be lowercase/],
    ['busybox:', /tag ""/],
    ['busybox:-bad', /tag "-bad"/],
    ['busybox@sha256:abc', /64 lowercase hex/],
    ['busybox@md5:' + 'a'.repeat(32), /only sha256/],
    ['example.com//app', /empty path component/],
    ['example.com/a--_b', /may hold only/],
    ['a'.repeat(300), /longer than 255/],
  ])('refuses %j', (input, message) => {
    expect(() => parseReference(input)).toThrow(ReferenceError);
    expect(() => parseReference(input)).toThrow(message);
  });

  it('keeps a digest without inventing a tag, and uses registry-1.docker.io for Docker Hub', () => {
    expect(parseReference(`busybox@${D}`).tag).toBeUndefined();
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
  });
});
