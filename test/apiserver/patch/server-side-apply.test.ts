import { describe, expect, it } from 'vitest';
import {
  ApplyConflictError,
  PatchError,
  applyPatchByContentType,
  fromFieldsV1,
  managedFieldSets,
  mergePatchObject,
  recordUpdate,
  serverSideApply,
  strategicMergePatch,
  toFieldsV1,
  type JsonObject,
} from '../../../apiserver/patch/index.js';

const T0 = '2026-11-28T06:00:00Z';
const T1 = '2026-11-28T06:05:00Z';
const T2 = '2026-11-28T06:10:00Z';

function config(overrides: { replicas?: number; image?: string; env?: JsonObject[]; labels?: JsonObject; containers?: JsonObject[] } = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: overrides.labels ?? { app: 'web' } },
    spec: {
      ...(overrides.replicas !== undefined ? { replicas: overrides.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: overrides.containers ?? [
            { name: 'web', image: overrides.image ?? 'nginx:1.25', ports: [{ containerPort: 80 }], env: overrides.env ?? [{ name: 'A', value: '1' }] },
          ],
        },
      },
    },
  };
}

const apply = (live: JsonObject | undefined, applied: JsonObject, manager = 'kubectl', force = false, now = T0) =>
  serverSideApply({ live, applied, manager, force, kind: 'Deployment', now });

function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApplyConflictError) return err;
    throw err;
  }
  throw new Error('expected an apply conflict');
}

const spec = (o: JsonObject): any => (o as any).spec;
const web = (o: JsonObject): any => spec(o).template.spec.containers.find((c: any) => c.name === 'web');
const owners = (o: JsonObject) => Object.fromEntries(managedFieldSets(o).map((m) => [`${m.manager}/${m.operation}`, m.fields]));

describe('server-side apply', () => {
  it('creates the object, defaults port protocol, and records the Apply manager in FieldsV1', () => {
    const { object, created } = apply(undefined, config({ replicas: 2 }));
    expect(created).toBe(true);
    expect(web(object).ports).toEqual([{ protocol: 'TCP', containerPort: 80 }]);
    const [entry, ...rest] = (object.metadata as any).managedFields;
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1' });
    expect(entry.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': { 'f:matchLabels': { 'f:app': {} } },
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': {
                '.': {},
                'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('removes fields the manager stops applying, keeps the rest, and is idempotent', () => {
    const first = apply(undefined, config({ replicas: 2, labels: { app: 'web', tier: 'front' }, env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] })).object;
    // The server adds defaults nobody applied; they must survive.
    (web(first) as any).terminationMessagePath = '/dev/termination-log';
    const second = apply(first, config({ replicas: 3, image: 'nginx:1.27', env: [{ name: 'B', value: '2' }] }), 'kubectl', false, T1).object;
    expect(spec(second).replicas).toBe(3);
    expect(web(second).image).toBe('nginx:1.27');
    expect(web(second).env).toEqual([{ name: 'B', value: '2' }]);
    expect((second.metadata as any).labels).toEqual({ app: 'web' });
    expect(web(second).terminationMessagePath).toBe('/dev/termination-log');
    expect((second.metadata as any).managedFields[0].time).toBe(T1);

    const third = apply(second, config({ replicas: 3, image: 'nginx:1.27', env: [{ name: 'B', value: '2' }] }), 'kubectl', false, T2).object;
    expect(third).toEqual(second); // same intent: same object, timestamp kept
  });

  it('drops the last label without leaving an empty map behind', () => {
    const first = apply(undefined, config()).object;
    const noLabels = config();
    delete (noLabels.metadata as any).labels;
    const second = apply(first, noLabels).object;
    expect((second.metadata as any).labels).toBeUndefined();
  });

  it('removes a list element the manager no longer applies', () => {
    const sidecar = { name: 'log', image: 'busybox' };
    const two = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx' }, sidecar] })).object;
    const one = apply(two, config({ containers: [{ name: 'web', image: 'nginx' }] })).object;
    expect(spec(one).template.spec.containers.map((c: any) => c.name)).toEqual(['web']);
  });

  it('conflicts with a field another manager set to a different value, naming manager and field', () => {
    // kubectl create/apply (client-side) recorded as an Update by kubectl-client-side-apply.
    const created = recordUpdate({ new: { ...config({ replicas: 1 }) }, manager: 'kubectl-client-side-apply', kind: 'Deployment', now: T0 });
    const err = conflictOf(() => apply(created, config({ replicas: 5, image: 'nginx:1.27' }), 'kubectl', false, T1));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.conflicts.map((c) => c.field)).toEqual(['.spec.replicas', '.spec.template.spec.containers[name="web"].image']);
    expect(err.causes[0]).toEqual({ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' });
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );

    // Same values: no conflict, the fields become shared.
    const shared = apply(created, config({ replicas: 1 }), 'kubectl', false, T1).object;
    expect(owners(shared)['kubectl/Apply']).toContain('.spec.replicas');
    expect(owners(shared)['kubectl-client-side-apply/Update']).toContain('.spec.replicas');

    // force=true takes the fields over.
    const forced = apply(created, config({ replicas: 5 }), 'kubectl', true, T1).object;
    expect(spec(forced).replicas).toBe(5);
    expect(owners(forced)['kubectl-client-side-apply/Update']).not.toContain('.spec.replicas');
    expect(owners(forced)['kubectl/Apply']).toContain('.spec.replicas');
  });

  it('lets `kubectl scale` take replicas; a later apply without replicas keeps the scaled value', () => {
    const applied = apply(undefined, config({ replicas: 2 })).object;
    const scaled = recordUpdate({ old: applied, new: mergePatchObject(applied, { spec: { replicas: 7 } }), manager: 'kubectl', kind: 'Deployment', now: T1 });
    expect(owners(scaled)['kubectl/Apply']).not.toContain('.spec.replicas');
    expect(owners(scaled)['kubectl/Update']).toEqual(['.spec.replicas']);

    expect(conflictOf(() => apply(scaled, config({ replicas: 2 }), 'kubectl', false, T2)).conflicts).toEqual([
      { manager: 'kubectl', apiVersion: 'apps/v1', field: '.spec.replicas' },
    ]);
    const reapplied = apply(scaled, config(), 'kubectl', false, T2).object;
    expect(spec(reapplied).replicas).toBe(7);
  });

  it('keeps a field another manager also owns when the applier drops it', () => {
    const a = apply(undefined, config({ labels: { app: 'web', shared: 'yes', mine: 'a' } }), 'team-a').object;
    const b = apply(a, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { shared: 'yes' } } }, 'team-b').object;
    const again = apply(b, config({ labels: { app: 'web' } }), 'team-a').object;
    expect((again.metadata as any).labels).toEqual({ app: 'web', shared: 'yes' });
  });

  it('keeps a list element whose fields another manager changed', () => {
    const two = apply(undefined, config({ containers: [{ name: 'web', image: 'nginx' }, { name: 'log', image: 'busybox' }] })).object;
    const patched = strategicMergePatch('Deployment', two, { spec: { template: { spec: { containers: [{ name: 'log', image: 'busybox:1.36' }] } } } });
    const setImage = recordUpdate({ old: two, new: patched, manager: 'kubectl-set', kind: 'Deployment', now: T1 });
    const one = apply(setImage, config({ containers: [{ name: 'web', image: 'nginx' }] }), 'kubectl', false, T2).object;
    // kubectl-set owns log's image, so the element stays with its key and that field.
    expect(spec(one).template.spec.containers).toEqual([
      { name: 'web', image: 'nginx' },
      { name: 'log', image: 'busybox:1.36' },
    ]);
  });

  it('ignores status on the main resource and server-set metadata', () => {
    const withStatus = { ...config(), status: { replicas: 9 } } as JsonObject;
    (withStatus.metadata as any).uid = 'abc';
    const { object } = apply(undefined, withStatus);
    expect(object.status).toBeUndefined();
    expect(JSON.stringify((object.metadata as any).managedFields)).not.toContain('f:uid');
  });

  it('rejects bad applied configurations with 400/422', () => {
    const code = (fn: () => unknown): number => {
      try {
        fn();
      } catch (err) {
        return (err as PatchError).code;
      }
      return 0;
    };
    expect(code(() => apply(undefined, { ...config(), kind: 'Pod' }))).toBe(400);
    expect(code(() => apply(undefined, { ...config(), apiVersion: undefined } as never))).toBe(400);
    expect(code(() => apply(undefined, config(), ''))).toBe(400);
    expect(code(() => apply(undefined, config({ containers: [{ name: 'a' }, { name: 'a' }] })))).toBe(422);
    expect(code(() => apply(undefined, config({ containers: [{ image: 'nginx' }] })))).toBe(422);
    const withManaged = config();
    (withManaged.metadata as any).managedFields = [];
    expect(code(() => apply(undefined, withManaged))).toBe(400);
  });

  it('is reachable through applyPatchByContentType with a YAML body', () => {
    const yaml = [
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: web}',
      'spec:',
      '  selector: {app: web}',
      '  ports:',
      '  - port: 80',
      '    targetPort: 8080',
    ].join('\n');
    const out = applyPatchByContentType('application/apply-patch+yaml', undefined, yaml, { kind: 'Service', manager: 'kubectl', now: T0 });
    expect(out.created).toBe(true);
    expect((out.object as any).spec.ports).toEqual([{ protocol: 'TCP', port: 80, targetPort: 8080 }]);
    expect((out.object as any).metadata.managedFields[0].fieldsV1['f:spec']['f:ports']).toHaveProperty(['k:{"port":80,"protocol":"TCP"}']);
  });
});

describe('recordUpdate', () => {
  it('owns what it changed and keeps the timestamp when nothing it owns changed', () => {
    const live = recordUpdate({ new: config({ replicas: 1 }), manager: 'kubectl-create', kind: 'Deployment', now: T0 });
    const entry = (live.metadata as any).managedFields[0];
    expect(entry).toMatchObject({ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: T0 });
    expect(entry.fieldsV1['f:spec']['f:replicas']).toEqual({});

    const labelled = recordUpdate({ old: live, new: mergePatchObject(live, { metadata: { labels: { tier: 'web' } } }), manager: 'kubectl-label', kind: 'Deployment', now: T1 });
    expect(owners(labelled)['kubectl-label/Update']).toEqual(['.metadata.labels.tier']);
    expect((labelled.metadata as any).managedFields[0].time).toBe(T0);
  });

  it('takes a supplied managedFields list as the new history (kubectl SSA upgrade) and clears on [{}]', () => {
    const live = recordUpdate({ new: config({ replicas: 1 }), manager: 'kubectl-client-side-apply', kind: 'Deployment', now: T0 });
    const upgraded = structuredClone(live) as any;
    upgraded.metadata.managedFields = [{ ...upgraded.metadata.managedFields[0], manager: 'kubectl', operation: 'Apply' }];
    const stored = recordUpdate({ old: live, new: upgraded, manager: 'kubectl', kind: 'Deployment', now: T1 });
    expect((stored.metadata as any).managedFields.map((e: any) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply']);

    const cleared = recordUpdate({ old: live, new: { ...live, metadata: { ...(live.metadata as any), managedFields: [{}] } }, manager: 'x', kind: 'Deployment', now: T1 });
    expect((cleared.metadata as any).managedFields).toBeUndefined();

    const bad = { ...live, metadata: { ...(live.metadata as any), managedFields: [{ manager: 'x', operation: 'Frob' }] } };
    expect(() => recordUpdate({ old: live, new: bad, manager: 'x', kind: 'Deployment', now: T1 })).toThrow(PatchError);
  });
});

describe('FieldsV1', () => {
  it('round-trips through the set representation', () => {
    const fields = {
      'f:metadata': { 'f:finalizers': { '.': {}, 'v:"example.com/a"': {} }, 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } } },
    };
    expect(toFieldsV1(fromFieldsV1(fields))).toEqual(fields);
    expect(() => fromFieldsV1({ spec: {} })).toThrow(/prefix/);
  });
});
