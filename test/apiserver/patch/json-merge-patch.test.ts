import { describe, expect, it } from 'vitest';
import { applyMergePatch, mergePatchObject, PatchError } from '../../../apiserver/patch/index.js';
import { liveDeployment } from './fixtures.js';

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, want) => {
    expect(applyMergePatch(target, patch)).toEqual(want);
  });

  it('scales a Deployment the way `kubectl scale` does, leaving the input untouched', () => {
    const live = liveDeployment();
    const out = mergePatchObject(live, { spec: { replicas: 3 } });
    expect((out.spec as { replicas: number }).replicas).toBe(3);
    expect((live.spec as { replicas: number }).replicas).toBe(1);
  });

  it('labels and removes a label as `kubectl label` does', () => {
    const out = mergePatchObject(liveDeployment(), { metadata: { labels: { tier: 'web', app: null } } });
    expect((out.metadata as { labels: unknown }).labels).toEqual({ tier: 'web' });
  });

  it('rejects a body that is not an object with a 400', () => {
    expect(() => mergePatchObject(liveDeployment(), [1] as never)).toThrow(PatchError);
    try {
      mergePatchObject(liveDeployment(), 'x');
    } catch (err) {
      expect((err as PatchError).code).toBe(400);
    }
  });
});
