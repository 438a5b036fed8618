import { describe, expect, it } from 'vitest';
import { applyPatchByContentType, serverSideApply } from '../../../apiserver/patch/index.js';
import { failure, liveDeployment } from './fixtures.js';

const ctx = { kind: 'Deployment', manager: 'kubectl', now: '2026-11-28T06:00:00Z' };

describe('applyPatchByContentType', () => {
  it('picks the engine from the Content-Type, ignoring parameters', () => {
    const body = '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}';
    const smp = applyPatchByContentType('application/strategic-merge-patch+json; charset=utf-8', liveDeployment(), body, ctx);
    const merge = applyPatchByContentType('application/merge-patch+json', liveDeployment(), body, ctx);
    // SMP merges the container by name; a merge patch replaces the whole list.
    expect((smp.object as any).spec.template.spec.containers[0].env).toHaveLength(2);
    expect((merge.object as any).spec.template.spec.containers).toEqual([{ name: 'web', image: 'nginx:1.26' }]);
    const json = applyPatchByContentType('application/json-patch+json', liveDeployment(), Buffer.from('[{"op":"replace","path":"/spec/replicas","value":2}]'), ctx);
    expect((json.object as any).spec.replicas).toBe(2);
    expect(json.created).toBe(false);
  });

  it('answers 415 for other types, 400 for bodies that do not parse, 404 for a missing object', () => {
    expect(failure(() => applyPatchByContentType('application/json', liveDeployment(), '{}', ctx)).code).toBe(415);
    expect(failure(() => applyPatchByContentType(undefined, liveDeployment(), '{}', ctx)).code).toBe(415);
    expect(failure(() => applyPatchByContentType('application/merge-patch+json', liveDeployment(), '{"spec":', ctx)).code).toBe(400);
    expect(failure(() => applyPatchByContentType('application/apply-patch+yaml', liveDeployment(), 'a: [', ctx)).code).toBe(400);
    expect(failure(() => applyPatchByContentType('application/merge-patch+json', undefined, '{}', ctx)).code).toBe(404);
  });
});

describe('server-side apply of sets and subresources', () => {
  it('owns finalizers as a set: each value separately', () => {
    const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    const a = serverSideApply({ applied: { ...base, metadata: { name: 'c', finalizers: ['example.com/a'] } }, manager: 'a', kind: 'ConfigMap', now: ctx.now });
    const b = serverSideApply({ live: a.object, applied: { ...base, metadata: { name: 'c', finalizers: ['example.com/b'] } }, manager: 'b', kind: 'ConfigMap', now: ctx.now });
    expect((b.object as any).metadata.finalizers).toEqual(['example.com/a', 'example.com/b']);
    expect((b.object as any).metadata.managedFields[1].fieldsV1).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"example.com/b"': {} } } });
    const aDrops = serverSideApply({ live: b.object, applied: { ...base, data: { k: 'v' } }, manager: 'a', kind: 'ConfigMap', now: ctx.now });
    expect((aDrops.object as any).metadata.finalizers).toEqual(['example.com/b']);
  });

  it('applies to the status subresource only the status, under its own entry', () => {
    const live = serverSideApply({ applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } }, manager: 'kubectl', kind: 'Deployment', now: ctx.now }).object;
    const out = serverSideApply({
      live,
      applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 9 }, status: { readyReplicas: 1 } },
      manager: 'deployment-controller',
      kind: 'Deployment',
      now: ctx.now,
      subresource: 'status',
    }).object as any;
    expect(out.spec.replicas).toBe(1);
    expect(out.status).toEqual({ readyReplicas: 1 });
    expect(out.metadata.managedFields[1]).toMatchObject({ manager: 'deployment-controller', subresource: 'status', fieldsV1: { 'f:status': { 'f:readyReplicas': {} } } });
  });
});
