// The namespace controller: finishes deleting a namespace. Deleting a Namespace only marks
// it Terminating (the API server keeps it while `spec.finalizers` holds "kubernetes");
// this controller deletes everything inside it, waits until all of it is gone, then
// removes its "kubernetes" finalizer through namespaces/{name}/finalize, and the API
// server removes the Namespace. Level-triggered: each pass looks at what is left.
import {
  isNotFound,
  resourcePath,
  resourceTypes,
  type HandlerResult,
  type Informer,
  type KubeClient,
  type KubeObject,
  type Namespace,
} from '../api/index.js';

/** The finalizer the namespace controller owns, as Kubernetes names it. */
export const NAMESPACE_FINALIZER = 'kubernetes';

/** Delay between a namespace change and acting on it (Kubernetes' namespaceDeletionGracePeriod). */
export const NAMESPACE_DELETION_GRACE_MS = 5000;

/** How long to wait before looking again while objects in the namespace are still terminating. */
export const RECHECK_MS = 1000;

// Every namespaced type that can be listed and deleted; Events go last so that what the
// deletions of other objects report is still readable until the end.
const CONTENT_TYPES = resourceTypes
  .filter((rt) => rt.namespaced && rt.verbs.includes('list') && rt.verbs.includes('delete'))
  .sort((a, b) => Number(a.kind === 'Event') - Number(b.kind === 'Event'));

export class NamespaceController {
  constructor(
    private readonly client: KubeClient,
    private readonly namespaces: Informer<Namespace>,
  ) {}

  /** Reconciles one namespace by name. */
  async reconcile(name: string): Promise<HandlerResult | void> {
    const ns = this.namespaces.get(name);
    if (!ns?.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(NAMESPACE_FINALIZER)) return;

    const remaining = await this.deleteContents(name);
    if (remaining > 0) return { requeueAfter: RECHECK_MS };

    // The finalize subresource replaces spec.finalizers; the object sent must carry the
    // resourceVersion read so a concurrent change makes this pass retry instead of clobbering.
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
    const body: KubeObject = { ...ns, spec: { ...ns.spec, finalizers } };
    try {
      await this.client.request({
        method: 'PUT',
        path: `${resourcePath(this.client.resource('Namespace').type, { name })}/finalize`,
        body,
        what: `finalize namespace "${name}"`,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Deletes every object in the namespace; resolves to how many still exist. */
  private async deleteContents(namespace: string): Promise<number> {
    let remaining = 0;
    for (const rt of CONTENT_TYPES) {
      const resource = this.client.resource(rt);
      const list = await resource.listAll({ namespace });
      for (const obj of list.items) {
        remaining++;
        if (obj.metadata?.deletionTimestamp) continue;
        try {
          await resource.delete({ namespace, name: obj.metadata!.name! }, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    return remaining;
  }
}
