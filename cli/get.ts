// `skiff get KIND [NAME]`: lists or shows objects. Tables come from the server (the same
// Table format kubectl asks for), so the columns are the ones kubectl users know; `-w`
// keeps printing rows as the objects change.
import { Command } from 'commander';
import * as yaml from 'js-yaml';
import {
  apiVersionOf,
  resolveResource,
  resourcePath,
  type KubeClient,
  type KubeObject,
  type ResourceType,
} from '../api/index.js';
import { renderTable, type Table } from '../apiserver/printers/index.js';
import { connect, describeError, typeName } from './cluster.js';

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  selector?: string;
  watch?: boolean;
  kubeconfig?: string;
}

export async function main(argv: string[]): Promise<number> {
  const cmd = new Command('skiff get')
    .description('list or show objects')
    .argument('<kind>', 'resource type: pods, deploy, svc, ...')
    .argument('[name]', 'one object')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context\'s)')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-o, --output <format>', 'wide | yaml | json | name')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('-w, --watch', 'after listing, print changes as they happen')
    .option('--kubeconfig <file>', 'kubeconfig to use')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const [kind, name] = cmd.processedArgs as [string, string | undefined];
  const opts = cmd.opts<GetOptions>();

  // `deploy,svc` lists several types, as kubectl does.
  const types: ResourceType[] = [];
  for (const k of kind.split(',').filter(Boolean)) {
    const rt = resolveResource(k);
    if (!rt) {
      console.error(`error: the server doesn't have a resource type "${k}"`);
      return 1;
    }
    types.push(rt);
  }
  if (types.length > 1 && opts.watch) {
    console.error('error: you may only specify a single resource type with --watch');
    return 1;
  }
  if (opts.output && !['wide', 'yaml', 'json', 'name'].includes(opts.output)) {
    console.error(`error: unable to match a printer suitable for the output format "${opts.output}", allowed formats are: json,name,wide,yaml`);
    return 1;
  }
  const client = connect(opts.kubeconfig);
  const namespaceOf = (rt: ResourceType) => (!rt.namespaced || opts.allNamespaces ? undefined : (opts.namespace ?? client.connection.namespace));
  try {
    if (opts.output === 'yaml' || opts.output === 'json' || opts.output === 'name') {
      await printObjects(client, types, namespaceOf, name, opts);
    } else {
      let printed = 0;
      for (const rt of types) {
        // Tables of several types are separated by a blank line and name rows `type/name`.
        printed += await printTable(client, rt, namespaceOf(rt), name, opts, { qualifyNames: types.length > 1, separate: printed > 0 });
      }
      if (printed === 0 && !opts.watch) console.error(noResources(namespaceOf(types[0]!)));
    }
    return 0;
  } catch (err) {
    console.error(describeError(err));
    return 1;
  } finally {
    client.close();
  }
}

async function printObjects(
  client: KubeClient,
  types: ResourceType[],
  namespaceOf: (rt: ResourceType) => string | undefined,
  name: string | undefined,
  opts: GetOptions,
): Promise<void> {
  const found: { rt: ResourceType; object: KubeObject }[] = [];
  for (const rt of types) {
    const resource = client.resource(rt);
    const namespace = namespaceOf(rt);
    const items = name
      ? [await resource.get({ namespace, name })]
      : (await resource.listAll({ namespace, labelSelector: opts.selector })).items;
    // Items in a list omit kind and apiVersion on the wire; printed, they carry them (as kubectl does).
    for (const o of items) found.push({ rt, object: { apiVersion: apiVersionOf(rt), kind: rt.kind, ...o } });
  }
  if (opts.output === 'name') {
    for (const { rt, object } of found) console.log(`${typeName(rt)}/${object.metadata?.name}`);
  } else {
    const out: KubeObject = name && found.length === 1
      ? found[0]!.object
      : { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: found.map((f) => f.object) };
    if (opts.output === 'json') console.log(JSON.stringify(out, null, 4));
    else process.stdout.write(yaml.dump(out, { noRefs: true, lineWidth: -1 }));
  }
  if (!name && found.length === 0) console.error(noResources(namespaceOf(types[0]!)));
}

/** Prints one type's table (and with -w, its changes); resolves to the number of rows listed. */
async function printTable(
  client: KubeClient,
  rt: ResourceType,
  namespace: string | undefined,
  name: string | undefined,
  opts: GetOptions,
  layout: { qualifyNames: boolean; separate: boolean },
): Promise<number> {
  const path = resourcePath(rt, { namespace, name });
  const query: Record<string, string | undefined> = { labelSelector: opts.selector };
  const table = await client.request<Table>({ method: 'GET', path, query, accept: TABLE_ACCEPT, what: `get ${rt.plural}` });
  if (layout.qualifyNames) {
    const nameColumn = Math.max(0, (table.columnDefinitions ?? []).findIndex((c) => c.format === 'name'));
    for (const row of table.rows) row.cells[nameColumn] = `${typeName(rt)}/${row.cells[nameColumn]}`;
  }
  const render = { wide: opts.output === 'wide', showNamespace: rt.namespaced && namespace === undefined };
  const text = renderTable(table, render);
  if (text) process.stdout.write(layout.separate ? `\n${text}` : text);
  if (!opts.watch) return table.rows.length;

  // The columns came with the list; watch events carry one-row tables without headers.
  const columns = table.columnDefinitions;
  const resourceVersion = table.metadata?.resourceVersion;
  const collection = resourcePath(rt, { namespace });
  const fieldSelector = name ? `metadata.name=${name}` : undefined;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    // A watch with the Table Accept header yields one-row Table objects; render each.
    for await (const event of watchTables(client, collection, { resourceVersion, labelSelector: opts.selector, fieldSelector }, controller.signal)) {
      const row = renderTable({ ...event, columnDefinitions: columns }, { ...render, noHeaders: true });
      process.stdout.write(row);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return table.rows.length;
}

/** Watch events as one-row Tables, skipping bookmarks and stopping at an error. */
async function* watchTables(
  client: KubeClient,
  path: string,
  query: Record<string, string | undefined>,
  signal: AbortSignal,
): AsyncGenerator<Table> {
  const res = await client.stream({
    method: 'GET', path, query: { ...query, watch: 'true', allowWatchBookmarks: 'true' }, accept: TABLE_ACCEPT, signal, what: 'watch',
  }).catch((err) => { if (signal.aborted) return undefined; throw err; });
  if (!res) return;
  let buffer = '';
  try {
    for await (const chunk of res) {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as { type: string; object: Table & { message?: string } };
        if (event.type === 'BOOKMARK') continue;
        if (event.type === 'ERROR') throw new Error(`watch ended: ${event.object.message ?? 'server error'}`);
        yield event.object;
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

function noResources(namespace: string | undefined): string {
  return namespace ? `No resources found in ${namespace} namespace.` : 'No resources found';
}
