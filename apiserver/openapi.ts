// OpenAPI v3, the minimum kubectl needs (facts file b.4): a root listing each group-version,
// and per group-version a document with one `patch` operation per kind carrying
// x-kubernetes-group-version-kind and the fieldValidation parameter (so kubectl validates
// on the server), plus components.schemas from api/ for `kubectl explain`.
// Strategic merge patch is deliberately not listed in requestBody (see b.4 item 4).
import { createHash } from 'node:crypto';
import { openApiSchemas } from '../api/index.js';
import { groupVersions } from './resources.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const docs = new Map<string, { body: string; hash: string }>();

function queryParam(name: string) {
  return { name, in: 'query', schema: { type: 'string', uniqueItems: true } };
}

/** The per-GV document as JSON text with its content hash; undefined for an unknown GV. */
export function groupVersionDocument(path: string): { body: string; hash: string } | undefined {
  if (docs.size === 0) {
    for (const gv of groupVersions()) {
      const paths: Record<string, unknown> = {};
      for (const r of gv.resources) {
        const base = `/${gvPath(gv.group, gv.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}/{name}`;
        paths[base] = {
          parameters: [
            { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
            ...(r.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }] : []),
          ],
          patch: {
            description: `partially update the specified ${r.kind}`,
            operationId: `patch${gv.group ? gv.group.split('.')[0]![0]!.toUpperCase() + gv.group.split('.')[0]!.slice(1) : 'Core'}${gv.version[0]!.toUpperCase()}${gv.version.slice(1)}${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
            'x-kubernetes-action': 'patch',
            'x-kubernetes-group-version-kind': { group: gv.group, version: gv.version, kind: r.kind },
            parameters: [queryParam('dryRun'), queryParam('fieldManager'), queryParam('fieldValidation'), { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } }],
            responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.schemaName}` } } } } },
          },
        };
      }
      const doc = {
        openapi: '3.0.0',
        info: { title: 'Kubernetes', version: 'v1.32.0' },
        paths,
        components: { schemas: openApiSchemas({ group: gv.group, version: gv.version }) },
      };
      const body = JSON.stringify(doc);
      docs.set(gvPath(gv.group, gv.version), { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase() });
    }
  }
  return docs.get(path);
}

/** `/openapi/v3`: each group-version with a hash-stamped URL. */
export function openApiRoot() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const p = gvPath(gv.group, gv.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${groupVersionDocument(p)!.hash}` };
  }
  return { paths };
}
