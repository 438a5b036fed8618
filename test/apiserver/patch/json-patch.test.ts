import { describe, expect, it } from 'vitest';
import { applyJsonPatch, PatchError } from '../../../apiserver/patch/index.js';
import { failure, liveDeployment } from './fixtures.js';

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const out = applyJsonPatch(liveDeployment(), [
      { op: 'test', path: '/metadata/resourceVersion', value: '41' },
      { op: 'replace', path: '/spec/replicas', value: 4 },
      { op: 'add', path: '/metadata/labels/tier', value: 'web' },
      { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'B', value: '2' } },
      { op: 'remove', path: '/spec/template/spec/containers/0/env/0' },
      { op: 'copy', from: '/metadata/labels/tier', path: '/metadata/labels/copied' },
      { op: 'move', from: '/metadata/labels/copied', path: '/metadata/labels/moved' },
    ]);
    const spec = out.spec as any;
    expect(spec.replicas).toBe(4);
    expect(spec.template.spec.containers[0].env).toEqual([
      { name: 'KEEP', value: 'k' },
      { name: 'B', value: '2' },
    ]);
    expect((out.metadata as any).labels).toEqual({ app: 'x', tier: 'web', moved: 'web' });
  });

  it('does not modify the live object, even when a later operation fails', () => {
    const live = liveDeployment();
    expect(() =>
      applyJsonPatch(live, [
        { op: 'replace', path: '/spec/replicas', value: 9 },
        { op: 'remove', path: '/spec/nope' },
      ]),
    ).toThrow(PatchError);
    expect((live.spec as any).replicas).toBe(1);
  });

  it('names the failing operation and path (422 for an operation that cannot apply)', () => {
    const err = failure(() =>
      applyJsonPatch(liveDeployment(), [
        { op: 'add', path: '/metadata/labels/a', value: 'b' },
        { op: 'remove', path: '/spec/template/spec/nodeName' },
      ]),
    );
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toContain('operation 1 (remove /spec/template/spec/nodeName)');
    expect(err.causes[0]).toMatchObject({ field: '/spec/template/spec/nodeName', reason: 'OPERATION_PATH_UNRESOLVABLE' });
  });

  it('fails a test operation on a stale resourceVersion (the SSA upgrade precondition)', () => {
    const err = failure(() =>
      applyJsonPatch(liveDeployment(), [
        { op: 'test', path: '/metadata/resourceVersion', value: '40' },
        { op: 'replace', path: '/metadata/managedFields', value: [] },
      ]),
    );
    expect(err.message).toContain('operation 0 (test /metadata/resourceVersion)');
    expect(err.causes[0]!.reason).toBe('TEST_OPERATION_FAILED');
  });

  it('answers 400 for a malformed patch document', () => {
    expect(failure(() => applyJsonPatch(liveDeployment(), { op: 'add' })).code).toBe(400);
    const bad = failure(() => applyJsonPatch(liveDeployment(), [{ op: 'frobnicate', path: '/a' }]));
    expect(bad.code).toBe(400);
    expect(bad.message).toContain('operation 0 (frobnicate /a)');
    expect(failure(() => applyJsonPatch(liveDeployment(), [{ op: 'add', path: 'no-slash', value: 1 }])).code).toBe(400);
  });

  it('refuses prototype pollution', () => {
    expect(() => applyJsonPatch(liveDeployment(), [{ op: 'add', path: '/__proto__/polluted', value: 1 }])).toThrow();
    expect(({} as any).polluted).toBeUndefined();
  });
});
