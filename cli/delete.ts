// `skiff delete (-f FILE | KIND NAME)`: deletes objects and, like kubectl, waits until
// they are gone (finalizers and graceful pod termination can keep an object a while).
// Unlike kubectl, objects from manifests are deleted in reverse order: a manifest lists a
// Namespace before what lives in it, and deleting the contents first means none of them
// vanishes underneath us through the namespace's own deletion (an uninstall order).
import { Command } from 'commander';
import { findByApiVersionKind, isNotFound, resolveResource, type KubeClient, type ResourceType } from '../api/index.js';
import { connect, describeError, typeName } from './cluster.js';
import { readManifests } from './manifests.js';

interface Target {
  rt: ResourceType;
  namespace?: string;
  name: string;
}

export async function main(argv: string[]): Promise<number> {
  const cmd = new Command('skiff delete')
    .description('delete objects named in manifests, or by kind and name')
    .argument('[kind]', 'resource type')
    .argument('[names...]', 'object names')
    .option('-f, --filename <path...>', 'file, directory or - for stdin')
    .option('-n, --namespace <ns>', 'namespace for objects that name none')
    .option('--wait <bool>', 'wait until the objects are gone', 'true')
    .option('--timeout <seconds>', 'how long to wait', '120')
    .option('--kubeconfig <file>', 'kubeconfig to use')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const [kind, names] = cmd.processedArgs as [string | undefined, string[]];
  const opts = cmd.opts<{ filename?: string[]; namespace?: string; wait: string; timeout: string; kubeconfig?: string }>();

  if (!opts.filename && !(kind && names.length > 0)) {
    console.error('error: give -f FILE, or KIND NAME (e.g. skiff delete deployment web)');
    return 1;
  }
  const client = connect(opts.kubeconfig);
  const defaultNamespace = opts.namespace ?? client.connection.namespace;
  let failed = false;
  try {
    const targets: Target[] = [];
    if (opts.filename) {
      for (const { object } of readManifests(opts.filename)) {
        const rt = findByApiVersionKind(object.apiVersion!, object.kind!);
        if (!rt) {
          console.error(`error: no kind "${object.kind}" is served in version "${object.apiVersion}"`);
          failed = true;
          continue;
        }
        targets.push({ rt, name: object.metadata?.name ?? '', namespace: rt.namespaced ? (object.metadata?.namespace ?? defaultNamespace) : undefined });
      }
    } else {
      const rt = resolveResource(kind!);
      if (!rt) {
        console.error(`error: the server doesn't have a resource type "${kind}"`);
        return 1;
      }
      for (const name of names) targets.push({ rt, name, namespace: rt.namespaced ? defaultNamespace : undefined });
    }

    if (opts.filename) targets.reverse();
    const deleted: Target[] = [];
    for (const t of targets) {
      try {
        await client.resource(t.rt).delete({ namespace: t.namespace, name: t.name }, { propagationPolicy: 'Background' });
        console.log(`${typeName(t.rt)} "${t.name}" deleted`);
        deleted.push(t);
      } catch (err) {
        failed = true;
        console.error(describeError(err));
      }
    }
    if (opts.wait !== 'false') {
      const deadline = Date.now() + Number(opts.timeout) * 1000;
      for (const t of deleted) {
        if (!(await waitGone(client, t, deadline))) {
          failed = true;
          console.error(`error: timed out waiting for ${typeName(t.rt)} "${t.name}" to be deleted`);
        }
      }
    }
  } catch (err) {
    console.error(describeError(err));
    failed = true;
  } finally {
    client.close();
  }
  return failed ? 1 : 0;
}

async function waitGone(client: KubeClient, t: Target, deadline: number): Promise<boolean> {
  for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 1000)) {
    try {
      await client.resource(t.rt).get({ namespace: t.namespace, name: t.name });
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  return false;
}
