// `kubectl apply -f` (client-side) and later `kubectl apply --server-side -f`: the request
// sequence kubectl 1.32 sends, run through the engines the API server uses.
import { describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  fromFieldsV1,
  recordUpdate,
  serverSideApply,
  toFieldsV1,
  type JsonObject,
} from '../../../apiserver/patch/index.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const ANNOTATION_PATH = ['f:metadata', 'f:annotations', `f:${LAST_APPLIED}`].join('\u0000');

function file(env: string[]): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx', env: env.map((name) => ({ name, value: 'x' })) }] },
      },
    },
  };
}

describe('client-side apply, then server-side apply of the same file', () => {
  it('shares ownership, upgrades the client-side manager, and prunes on the next apply', () => {
    // 1. POST ?fieldManager=kubectl-client-side-apply with the last-applied annotation.
    const posted = structuredClone(file(['A', 'B'])) as any;
    posted.metadata.annotations = { [LAST_APPLIED]: `${JSON.stringify(file(['A', 'B']))}\n` };
    let live = recordUpdate({ new: posted, manager: 'kubectl-client-side-apply', kind: 'Deployment', now: '2026-11-28T06:00:00Z' });
    (live.metadata as any).resourceVersion = '10';

    // 2. PATCH apply-patch ?fieldManager=kubectl&force=false with the same file: same values, no conflict.
    live = serverSideApply({ live, applied: file(['A', 'B']), manager: 'kubectl', kind: 'Deployment', now: '2026-11-28T06:01:00Z' }).object;
    const entries = (live.metadata as any).managedFields as any[];
    expect(entries.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl-client-side-apply/Update', 'kubectl/Apply']);
    // kubectl decides to upgrade because an Update manager owns the last-applied annotation.
    expect(fromFieldsV1(entries[0].fieldsV1).has(ANNOTATION_PATH)).toBe(true);

    // 3. The upgrade: JSON patch guarded by resourceVersion, folding the client-side
    //    manager's fields (minus the annotation) into kubectl's Apply entry.
    const merged = new Set([...fromFieldsV1(entries[0].fieldsV1), ...fromFieldsV1(entries[1].fieldsV1)]);
    merged.delete(ANNOTATION_PATH);
    const upgradedEntries = [{ ...entries[1], fieldsV1: toFieldsV1(merged) }];
    const patched = applyJsonPatch(live, [
      { op: 'test', path: '/metadata/resourceVersion', value: '10' },
      { op: 'replace', path: '/metadata/managedFields', value: upgradedEntries },
    ]);
    live = recordUpdate({ old: live, new: patched, manager: 'kubectl', kind: 'Deployment', now: '2026-11-28T06:01:01Z' });
    expect(((live.metadata as any).managedFields as any[]).map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply']);

    // 4. The annotation gets its own Apply manager so it is kept.
    live = serverSideApply({
      live,
      applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', annotations: { [LAST_APPLIED]: (live.metadata as any).annotations[LAST_APPLIED] } } },
      manager: 'kubectl-last-applied',
      kind: 'Deployment',
      now: '2026-11-28T06:01:02Z',
    }).object;

    // 5. Next server-side apply drops env B: it is removed, the annotation stays.
    live = serverSideApply({ live, applied: file(['A']), manager: 'kubectl', kind: 'Deployment', now: '2026-11-28T06:02:00Z' }).object;
    const container = (live.spec as any).template.spec.containers[0];
    expect(container.env).toEqual([{ name: 'A', value: 'x' }]);
    expect((live.metadata as any).annotations[LAST_APPLIED]).toContain('"B"');
  });

  it('without the upgrade, a field the client-side manager still owns is not pruned', () => {
    let live = recordUpdate({ new: file(['A', 'B']), manager: 'kubectl-client-side-apply', kind: 'Deployment', now: '2026-11-28T06:00:00Z' });
    live = serverSideApply({ live, applied: file(['A', 'B']), manager: 'kubectl', kind: 'Deployment', now: '2026-11-28T06:01:00Z' }).object;
    live = serverSideApply({ live, applied: file(['A']), manager: 'kubectl', kind: 'Deployment', now: '2026-11-28T06:02:00Z' }).object;
    expect((live.spec as any).template.spec.containers[0].env.map((e: any) => e.name)).toEqual(['A', 'B']);
  });
});
