import { describe, expect, it } from 'vitest';
import { checkSchema, findUnknownFields, openApiSchemas, schemaSource } from '../../api/index.js';
import type { KubeObject } from '../../api/index.js';
import { docsDeployment } from './manifests.js';

describe('strict field validation', () => {
  it('accepts the docs Deployment with quantities as numbers, named ports and creationTimestamp: null', () => {
    expect(checkSchema(docsDeployment())).toEqual([]);
  });

  it('names an unknown field by its full path', () => {
    const d = docsDeployment() as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    d.spec.template.spec.containers[0]!.imagee = 'nginx';
    expect(findUnknownFields(d as unknown as KubeObject)).toEqual(['spec.template.spec.containers[0].imagee']);
  });

  it('reports every unknown field, at the top level and deep in lists', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labelz: { a: 'b' } },
      spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, prot: 'TCP' }] }] },
      extra: true,
    };
    expect(findUnknownFields(pod).sort()).toEqual(['extra', 'metadata.labelz', 'spec.containers[0].ports[0].prot']);
  });

  it('lets any key through in maps (labels, data, resource lists)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { 'x.io/any': 'v' } }, data: { 'any.key': 'v' } };
    expect(checkSchema(cm)).toEqual([]);
  });

  it('reports wrong JSON types by path', () => {
    const d = docsDeployment() as unknown as Record<string, Record<string, unknown>>;
    d.spec!.replicas = '3';
    const problems = checkSchema(d as KubeObject);
    expect(problems).toEqual([expect.objectContaining({ kind: 'type', field: 'spec.replicas' })]);
  });

  it('accepts int-or-string in targetPort, rejects objects there', () => {
    const svc = (targetPort: unknown): KubeObject => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 's' },
      spec: { ports: [{ port: 80, targetPort }], selector: { app: 'x' } },
    });
    expect(checkSchema(svc('http'))).toEqual([]);
    expect(checkSchema(svc(8080))).toEqual([]);
    expect(checkSchema(svc({ a: 1 }))[0]).toMatchObject({ kind: 'type', field: 'spec.ports[0].targetPort' });
  });

  it('accepts fractional quantities (cpu: 0.5) but not fractional ports', () => {
    const pod = (cpu: unknown, port: unknown): KubeObject => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } }, ports: [{ containerPort: port }] }] },
    });
    expect(checkSchema(pod(0.5, 80))).toEqual([]);
    expect(checkSchema(pod('500m', 80.5))).toEqual([expect.objectContaining({ kind: 'type', field: 'spec.containers[0].ports[0].containerPort' })]);
  });

  it('checks subresource bodies by definition name', () => {
    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'x' }, spec: { replicas: 3, replica: 1 } };
    expect(findUnknownFields(scale, { definition: 'io.k8s.api.autoscaling.v1.Scale' })).toEqual(['spec.replica']);
  });

  it('refuses a kind Skiff does not serve, by name', () => {
    expect(() => checkSchema({ apiVersion: 'batch/v1', kind: 'Job' })).toThrow(/batch\/v1\/Job: not a kind Skiff serves/);
  });
});

describe('OpenAPI v3 components', () => {
  it('tags served kinds with x-kubernetes-group-version-kind, as kubectl explain needs', () => {
    const schemas = openApiSchemas({ group: 'apps', version: 'v1' });
    expect(schemas['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    // The closure pulls in the pod spec and meta types, and nothing of other groups' kinds.
    expect(schemas['io.k8s.api.core.v1.PodSpec']).toBeDefined();
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    expect(schemas['io.k8s.api.coordination.v1.Lease']).toBeUndefined();
    expect(schemas['io.k8s.api.autoscaling.v1.Scale']).toBeDefined();
  });

  it('keeps descriptions, types and $refs into #/components/schemas', () => {
    const pod = openApiSchemas({ group: '', version: 'v1' })['io.k8s.api.core.v1.Pod']!;
    expect(pod.description).toMatch(/Pod is a collection of containers/);
    const props = pod.properties as Record<string, { allOf?: Array<{ $ref: string }> }>;
    expect(props.spec!.allOf![0]!.$ref).toBe('#/components/schemas/io.k8s.api.core.v1.PodSpec');
    const port = openApiSchemas()['io.k8s.api.core.v1.ServicePort']!.properties as Record<string, Record<string, unknown>>;
    expect(port.targetPort!['x-kubernetes-int-or-string']).toBe(true);
    expect(schemaSource).toMatch(/^kubernetes-types@1\.30/);
  });

  it('returns copies: callers may modify them', () => {
    const a = openApiSchemas();
    a['io.k8s.api.core.v1.Pod']!.description = 'changed';
    expect(openApiSchemas()['io.k8s.api.core.v1.Pod']!.description).not.toBe('changed');
  });
});
