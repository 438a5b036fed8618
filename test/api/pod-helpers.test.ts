import { describe, expect, it } from 'vitest';
import { isPodAvailable, isPodReady, isPodTerminal, podQOSClass, podRequests, type Container, type Pod } from '../../api/index.js';

function pod(containers: Partial<Container>[], initContainers: Partial<Container>[] = [], overhead?: Record<string, string>): Pod {
  const named = (list: Partial<Container>[], p: string) => list.map((c, i) => ({ name: `${p}${i}`, image: 'x', ...c }));
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: named(containers, 'c'), initContainers: named(initContainers, 'i'), overhead } };
}
const res = (requests?: Record<string, string>, limits?: Record<string, string>) => ({ resources: { requests, limits } });

describe('podRequests', () => {
  it('adds app containers and uses a limit when there is no request', () => {
    expect(podRequests(pod([res({ cpu: '250m', memory: '64Mi' }), res(undefined, { cpu: '1' })]))).toEqual({ cpu: 1.25, memory: 64 * 2 ** 20 });
  });

  it('takes the larger of the init phase and the app phase, plus overhead', () => {
    const p = pod([res({ cpu: '500m' })], [res({ cpu: '2' }), res({ cpu: '1' })], { cpu: '100m' });
    expect(podRequests(p)).toEqual({ cpu: 2.1 });
  });

  it('counts sidecars (restartable init containers) in both phases', () => {
    const p = pod([res({ cpu: '1' })], [{ ...res({ cpu: '500m' }), restartPolicy: 'Always' }, res({ cpu: '1' })]);
    // app phase: 1 + 0.5 sidecar = 1.5; init phase: 1 + 0.5 sidecar = 1.5
    expect(podRequests(p)).toEqual({ cpu: 1.5 });
  });
});

describe('podQOSClass', () => {
  it.each<[string, Pod, string]>([
    ['nothing set', pod([{}]), 'BestEffort'],
    ['limits only (requests default to them)', pod([res(undefined, { cpu: '1', memory: '1Gi' })]), 'Guaranteed'],
    ['equal requests and limits', pod([res({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1Gi' })]), 'Guaranteed'],
    ['memory missing', pod([res({ cpu: '1' }, { cpu: '1' })]), 'Burstable'],
    ['one container without limits', pod([res(undefined, { cpu: '1', memory: '1Gi' }), {}]), 'Burstable'],
    ['request below limit', pod([res({ cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })]), 'Burstable'],
  ])('%s -> %s', (_n, p, qos) => {
    expect(podQOSClass(p)).toBe(qos);
  });
});

describe('readiness', () => {
  const readySince = (iso: string): Pod => ({
    apiVersion: 'v1', kind: 'Pod', status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso }] },
  });
  it('is ready with a True Ready condition, available after minReadySeconds', () => {
    const p = readySince('2026-01-01T00:00:00Z');
    expect(isPodReady(p)).toBe(true);
    expect(isPodAvailable(p, 0)).toBe(true);
    expect(isPodAvailable(p, 10, new Date('2026-01-01T00:00:05Z'))).toBe(false);
    expect(isPodAvailable(p, 10, new Date('2026-01-01T00:00:10Z'))).toBe(true);
    expect(isPodReady({ apiVersion: 'v1', kind: 'Pod' })).toBe(false);
    expect(isPodTerminal({ apiVersion: 'v1', kind: 'Pod', status: { phase: 'Failed' } })).toBe(true);
  });
});
