// `skiff apply -f FILE|DIR|-`: makes the cluster match the manifests. It uses server-side
// apply (the field manager `skiff`, taking ownership on conflict, as client-side
// `kubectl apply` overwrites), so a field removed from the manifest is removed from the
// object. It prints what kubectl prints: created, configured or unchanged.
import { Command } from 'commander';
import { isDeepStrictEqual } from 'node:util';
import { findByApiVersionKind, isNotFound, type KubeObject } from '../api/index.js';
import { connect, describeError, typeName } from './cluster.js';
import { readManifests } from './manifests.js';

export const FIELD_MANAGER = 'skiff';

export async function main(argv: string[]): Promise<number> {
  const cmd = new Command('skiff apply')
    .description('create or update objects from YAML or JSON manifests')
    .requiredOption('-f, --filename <path...>', 'file, directory or - for stdin')
    .option('-n, --namespace <ns>', 'namespace for objects that name none')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, /var/lib/skiff/kubeconfig.yaml)')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const opts = cmd.opts<{ filename: string[]; namespace?: string; kubeconfig?: string }>();

  const objects = readManifests(opts.filename);
  const client = connect(opts.kubeconfig);
  let failed = false;
  try {
    for (const { source, object } of objects) {
      try {
        console.log(await applyOne(client, object, opts.namespace ?? client.connection.namespace));
      } catch (err) {
        failed = true;
        const name = object.metadata?.name ?? '<unnamed>';
        console.error(describeError(err, `error when applying "${source}" (${object.kind} ${name})`));
      }
    }
  } finally {
    client.close();
  }
  return failed ? 1 : 0;
}

/** Applies one object; resolves to kubectl's output line, e.g. `deployment.apps/web configured`. */
async function applyOne(client: ReturnType<typeof connect>, object: KubeObject, defaultNamespace: string): Promise<string> {
  const rt = findByApiVersionKind(object.apiVersion!, object.kind!);
  if (!rt) throw new Error(`no kind "${object.kind}" is served in version "${object.apiVersion}"`);
  const name = object.metadata?.name;
  if (!name) throw new Error('metadata.name: Required value (apply needs a name; generateName is for create)');
  const namespace = rt.namespaced ? (object.metadata?.namespace ?? defaultNamespace) : undefined;
  const desired: KubeObject = { ...object, metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) } };
  const resource = client.resource(rt);
  const key = { namespace, name };
  const label = `${typeName(rt)}/${name}`;
  const applyOpts = { type: 'apply' as const, fieldManager: FIELD_MANAGER, force: true, fieldValidation: 'Strict' as const };

  let live: KubeObject | undefined;
  try {
    live = await resource.get(key);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!live) {
    await resource.patch(key, desired, applyOpts);
    return `${label} created`;
  }
  // A dry run tells whether applying would change anything, without a write: the same
  // answer kubectl gets from computing an empty patch.
  const preview = await resource.patch(key, desired, { ...applyOpts, dryRun: 'All' });
  if (sameObject(preview, live)) return `${label} unchanged`;
  await resource.patch(key, desired, applyOpts);
  return `${label} configured`;
}

/** Equal but for bookkeeping the server refreshes on every write. */
function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { managedFields: _m, resourceVersion: _r, ...metadata } = o.metadata ?? {};
    return { ...o, metadata };
  };
  return isDeepStrictEqual(strip(a), strip(b));
}
