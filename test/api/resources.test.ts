import { describe, expect, it } from 'vitest';
import {
  apiVersionOf,
  findByApiVersionKind,
  findByCategory,
  findByGVK,
  findByKind,
  findByPlural,
  findByShortName,
  qualifiedResource,
  resolveResource,
  resourcePath,
  resourceTypes,
  servedGroupVersions,
} from '../../api/index.js';

describe('resource table', () => {
  it.each([
    ['po', 'Pod'], ['svc', 'Service'], ['cm', 'ConfigMap'], ['ns', 'Namespace'], ['no', 'Node'],
    ['deploy', 'Deployment'], ['rs', 'ReplicaSet'], ['ev', 'Event'],
  ])('short name %s resolves to %s', (short, kind) => {
    expect(findByShortName(short)?.kind).toBe(kind);
  });

  it('has no short names where Kubernetes has none', () => {
    expect(findByKind('Secret')?.shortNames).toEqual([]);
    expect(findByKind('Lease')?.shortNames).toEqual([]);
  });

  it('puts pods, services, deployments and replicasets in `kubectl get all`', () => {
    expect(findByCategory('all').map((r) => r.plural).sort()).toEqual(['deployments', 'pods', 'replicasets', 'services']);
  });

  it('looks types up by GVK, apiVersion+kind and plural', () => {
    expect(findByGVK({ group: 'apps', version: 'v1', kind: 'Deployment' })?.plural).toBe('deployments');
    expect(findByApiVersionKind('coordination.k8s.io/v1', 'Lease')?.namespaced).toBe(true);
    expect(findByApiVersionKind('v1', 'Deployment')).toBeUndefined();
    expect(findByPlural('', 'nodes')?.namespaced).toBe(false);
    expect(findByPlural('apps', 'pods')).toBeUndefined();
  });

  it.each([
    ['pods', 'Pod'], ['pod', 'Pod'], ['Pod', 'Pod'], ['PO', 'Pod'], ['deployments.apps', 'Deployment'],
    ['deploy.apps', 'Deployment'], ['deployments.v1.apps', 'Deployment'], ['leases.coordination.k8s.io', 'Lease'],
    ['services.v1', 'Service'],
  ])('resolves the CLI argument %s to %s', (arg, kind) => {
    expect(resolveResource(arg)?.kind).toBe(kind);
  });

  it('does not resolve a name in the wrong group', () => {
    expect(resolveResource('pods.apps')).toBeUndefined();
    expect(resolveResource('widgets')).toBeUndefined();
  });

  it('builds REST paths as Kubernetes lays them out', () => {
    const pods = findByKind('Pod')!;
    const deploy = findByKind('Deployment')!;
    const nodes = findByKind('Node')!;
    expect(resourcePath(pods, { namespace: 'default' })).toBe('/api/v1/namespaces/default/pods');
    expect(resourcePath(pods)).toBe('/api/v1/pods');
    expect(resourcePath(pods, { namespace: 'x', name: 'p', subresource: 'binding' })).toBe('/api/v1/namespaces/x/pods/p/binding');
    expect(resourcePath(deploy, { namespace: 'd', name: 'web', subresource: 'scale' })).toBe('/apis/apps/v1/namespaces/d/deployments/web/scale');
    expect(resourcePath(nodes, { namespace: 'ignored', name: 'n1' })).toBe('/api/v1/nodes/n1');
    expect(qualifiedResource(deploy)).toBe('deployments.apps');
    expect(apiVersionOf(deploy)).toBe('apps/v1');
    expect(apiVersionOf(pods)).toBe('v1');
  });

  it('declares the subresources kubectl uses, with their response kinds', () => {
    const scale = findByKind('Deployment')!.subresources.find((s) => s.name === 'scale');
    expect(scale?.responseKind).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(findByKind('ReplicaSet')!.subresources.map((s) => s.name).sort()).toEqual(['scale', 'status']);
    expect(findByKind('Pod')!.subresources.map((s) => s.name).sort()).toEqual(['binding', 'exec', 'log', 'status']);
    expect(findByKind('Namespace')!.verbs).not.toContain('deletecollection');
  });

  it('serves core, apps and coordination.k8s.io', () => {
    expect(servedGroupVersions()).toEqual([
      { group: '', version: 'v1' },
      { group: 'apps', version: 'v1' },
      { group: 'coordination.k8s.io', version: 'v1' },
    ]);
    for (const rt of resourceTypes) expect(rt.listKind).toBe(`${rt.kind}List`);
  });
});
