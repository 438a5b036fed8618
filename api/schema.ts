// Structural checks of objects against Kubernetes' schemas (api/schemas/kubernetes.json),
// and the same schemas exported as OpenAPI v3 components for /openapi/v3 and `kubectl explain`.
//
// Kubernetes decodes JSON into Go structs: an unknown field is dropped (or rejected under
// fieldValidation=Strict), a wrong type is a 400, and `null` is accepted anywhere (it leaves
// the zero value; `creationTimestamp: null` is in every `kubectl create --dry-run -o yaml`
// manifest). The ajv schemas compiled here follow those rules.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import generated from './schemas/kubernetes.json' with { type: 'json' };
import { apiVersionOf, resourceTypes, type GroupVersionKind, type ResourceType } from './resources.js';
import type { KubeObject } from './types.js';

type Schema = Record<string, unknown>;

/** The OpenAPI definitions, keyed by Kubernetes' definition names (io.k8s.api.core.v1.Pod). */
export const kubernetesSchemas: Readonly<Record<string, Schema>> = generated.schemas as Record<string, Schema>;

/** Which kubernetes-types release the schemas were generated from. */
export const schemaSource: string = generated.source;

const refPrefix = '#/components/schemas/';

/** Definitions that are served kinds, with the GVKs Kubernetes tags them with. */
function groupVersionKinds(): Map<string, GroupVersionKind[]> {
  const tags = new Map<string, GroupVersionKind[]>();
  const add = (name: string, gvk: GroupVersionKind): void => {
    const list = tags.get(name) ?? [];
    list.push(gvk);
    tags.set(name, list);
  };
  for (const rt of resourceTypes) {
    add(rt.schemaName, { group: rt.group, version: rt.version, kind: rt.kind });
    add(rt.schemaName + 'List', { group: rt.group, version: rt.version, kind: rt.listKind });
  }
  add('io.k8s.api.core.v1.Binding', { group: '', version: 'v1', kind: 'Binding' });
  add('io.k8s.api.autoscaling.v1.Scale', { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  add('io.k8s.apimachinery.pkg.apis.meta.v1.Status', { group: '', version: 'v1', kind: 'Status' });
  for (const gv of [{ group: '', version: 'v1' }, { group: 'apps', version: 'v1' }, { group: 'meta.k8s.io', version: 'v1' }]) {
    add('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', { ...gv, kind: 'DeleteOptions' });
    add('io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', { ...gv, kind: 'WatchEvent' });
  }
  return tags;
}

function collectRefs(schema: unknown, into: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const s of schema) collectRefs(s, into);
  } else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(refPrefix)) {
        const name = v.slice(refPrefix.length);
        if (!into.has(name)) {
          into.add(name);
          collectRefs(kubernetesSchemas[name], into);
        }
      } else collectRefs(v, into);
    }
  }
}

/**
 * OpenAPI v3 `components.schemas` for the API server's /openapi/v3 documents. With a group
 * and version, only the definitions that group-version's kinds reach (as Kubernetes serves
 * per-GV documents); without, all of them. Served kinds carry `x-kubernetes-group-version-kind`,
 * which `kubectl explain` needs. Returns fresh objects the caller may modify.
 */
export function openApiSchemas(groupVersion?: { group: string; version: string }): Record<string, Schema> {
  const tags = groupVersionKinds();
  let names: Set<string>;
  if (groupVersion) {
    names = new Set();
    const inGroupVersion = (g: { group: string; version: string }): boolean =>
      g.group === groupVersion.group && g.version === groupVersion.version;
    // Subresources pull in their response kinds (deployments/scale serves autoscaling/v1 Scale).
    const wanted: GroupVersionKind[] = resourceTypes
      .filter(inGroupVersion)
      .flatMap((rt) => rt.subresources.map((s) => s.responseKind));
    for (const [name, gvks] of tags) {
      const subresourceKind = gvks.some((g) => wanted.some((w) => w.group === g.group && w.version === g.version && w.kind === g.kind));
      if (gvks.some(inGroupVersion) || subresourceKind) {
        names.add(name);
        collectRefs(kubernetesSchemas[name], names);
      }
    }
  } else {
    names = new Set(Object.keys(kubernetesSchemas));
  }
  const out: Record<string, Schema> = {};
  for (const name of [...names].sort()) {
    const copy = structuredClone(kubernetesSchemas[name]) as Schema;
    const gvks = tags.get(name);
    if (gvks) copy['x-kubernetes-group-version-kind'] = gvks;
    out[name] = copy;
  }
  return out;
}

// Every typed schema also accepts null, as Go's JSON decoder does.
function allowNull(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowNull);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) out[k] = allowNull(v);
  if (typeof out.type === 'string') out.nullable = true;
  if (Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: 'null' }];
  return out;
}

// Quantities decode from any JSON number (`cpu: 0.5`), though OpenAPI calls them int-or-string.
const quantityName = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function validationSchemas(): Record<string, unknown> {
  const schemas = allowNull(kubernetesSchemas) as Record<string, Schema>;
  schemas[quantityName] = { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'null' }] };
  return schemas;
}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function validatorFor(schemaName: string): ValidateFunction {
  let fn = validators.get(schemaName);
  if (fn) return fn;
  if (!ajv) {
    // Formats (date-time) are not checked: Kubernetes' decoder reports bad timestamps itself.
    // inlineRefs: false compiles each shared definition (PodSpec, ObjectMeta) once: checks ran
    // 35 µs instead of 52 µs for the docs Deployment.
    ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, inlineRefs: false });
    ajv.addSchema({ $id: 'kubernetes', components: { schemas: validationSchemas() } });
  }
  fn = ajv.compile({ $ref: `kubernetes${refPrefix}${schemaName}` });
  validators.set(schemaName, fn);
  return fn;
}

/**
 * Compiles the validators of every served kind now (about 0.5 s; otherwise paid by
 * whichever request needs a kind first). The API server can call it at start.
 */
export function precompileSchemas(): void {
  for (const rt of resourceTypes) validatorFor(rt.schemaName);
}

/** One structural problem, with the field path as Kubernetes prints it. */
export interface SchemaProblem {
  /** 'unknown' for a field the kind does not have; 'type' for a value of the wrong JSON type. */
  kind: 'unknown' | 'type';
  /** Path in Kubernetes' notation: 'spec.template.spec.containers[0].imagee'. */
  field: string;
  message: string;
}

// Walks the object with the ajv instance path so array indexes print as [i] and map keys
// as .key, exactly as Kubernetes' strict decoder names them.
function fieldPath(obj: unknown, instancePath: string, extra?: string): string {
  const segments = instancePath === '' ? [] : instancePath.slice(1).split('/');
  let out = '';
  let cursor: unknown = obj;
  for (const raw of segments) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cursor)) {
      out += `[${seg}]`;
      cursor = cursor[Number(seg)];
    } else {
      out += out === '' ? seg : `.${seg}`;
      cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[seg] : undefined;
    }
  }
  if (extra !== undefined) out += out === '' ? extra : `.${extra}`;
  return out;
}

function problemsOf(obj: unknown, errors: ErrorObject[] | null | undefined): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let problem: SchemaProblem | undefined;
    if (e.keyword === 'additionalProperties') {
      const field = fieldPath(obj, e.instancePath, String((e.params as { additionalProperty: string }).additionalProperty));
      problem = { kind: 'unknown', field, message: `unknown field "${field}"` };
    } else if (e.keyword === 'type' || e.keyword === 'anyOf') {
      const field = fieldPath(obj, e.instancePath);
      const expected = e.keyword === 'anyOf' ? 'integer or string' : String((e.params as { type: string }).type).replace(',null', '');
      problem = { kind: 'type', field, message: `${field}: Invalid type. Expected: ${expected}, given: ${jsonType(valueAt(obj, e.instancePath))}` };
    }
    // 'required' is left to validation.ts, which reports it in Kubernetes' words.
    if (problem && !seen.has(problem.message)) {
      seen.add(problem.message);
      out.push(problem);
    }
  }
  return out;
}

function valueAt(obj: unknown, instancePath: string): unknown {
  if (instancePath === '') return obj;
  let cursor: unknown = obj;
  for (const seg of instancePath.slice(1).split('/')) {
    cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return cursor;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function schemaNameFor(obj: KubeObject, rt?: ResourceType): string {
  const type = rt ?? resourceTypes.find((r) => apiVersionOf(r) === obj.apiVersion && r.kind === obj.kind);
  if (!type) throw new Error(`check schema of ${obj.apiVersion ?? '<no apiVersion>'}/${obj.kind ?? '<no kind>'}: not a kind Skiff serves`);
  return type.schemaName;
}

/**
 * Structural problems of `obj` as a kind Skiff serves: unknown fields and wrong JSON types.
 * The type comes from `rt`, else from the object's apiVersion and kind. Also works for
 * other definitions by name (`definition: 'io.k8s.api.autoscaling.v1.Scale'`).
 */
export function checkSchema(obj: KubeObject, rt?: ResourceType | { definition: string }): SchemaProblem[] {
  const name = rt && 'definition' in rt ? rt.definition : schemaNameFor(obj, rt);
  if (!kubernetesSchemas[name]) throw new Error(`check schema: no definition named ${name}`);
  const validate = validatorFor(name);
  validate(obj);
  return problemsOf(obj, validate.errors);
}

/**
 * Paths of the fields `obj` has that its kind does not, in Kubernetes' notation
 * ('spec.template.spec.containers[0].imagee'); what fieldValidation=Strict rejects.
 */
export function findUnknownFields(obj: KubeObject, rt?: ResourceType | { definition: string }): string[] {
  return checkSchema(obj, rt)
    .filter((p) => p.kind === 'unknown')
    .map((p) => p.field);
}
