// Generates api/schemas/kubernetes.json from the `kubernetes-types` declarations.
//
// kubernetes-types is itself generated from Kubernetes' OpenAPI document, so walking its
// .d.ts files gives back the field set Kubernetes has, with its descriptions. We keep the
// output checked in (it is data, reviewed like code) and regenerate it when the dependency
// moves:  npx vite-node api/schemas/generate.ts
//
// Mapping (the shapes Kubernetes' own /openapi/v3 uses):
//   interface            -> { type: object, properties, required, additionalProperties: false }
//   empty interface      -> { type: object, x-kubernetes-preserve-unknown-fields: true }
//   { [k: string]: T }   -> { type: object, additionalProperties: T }
//   number | string      -> IntOrString ({ x-kubernetes-int-or-string, anyOf integer|string })
//   Quantity             -> IntOrString as well: manifests write `cpu: 1` and `memory: 128Mi`
//   Time, MicroTime      -> string, format date-time
//   number               -> integer (no field of the kinds we serve is a float)
//   reference to T       -> { allOf: [{ $ref }] } when the field has its own description

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

type Schema = Record<string, unknown>;

/** kubernetes-types module path -> Kubernetes OpenAPI definition prefix. */
const modulePrefix: Record<string, string> = {
  'core/v1': 'io.k8s.api.core.v1',
  'apps/v1': 'io.k8s.api.apps.v1',
  'coordination/v1': 'io.k8s.api.coordination.v1',
  'autoscaling/v1': 'io.k8s.api.autoscaling.v1',
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
};

/** Definitions the API serves directly; everything they reference is pulled in. */
const roots: Array<[string, string]> = [
  ['core/v1', 'Namespace'], ['core/v1', 'NamespaceList'],
  ['core/v1', 'Node'], ['core/v1', 'NodeList'],
  ['core/v1', 'Pod'], ['core/v1', 'PodList'], ['core/v1', 'Binding'],
  ['core/v1', 'Service'], ['core/v1', 'ServiceList'],
  ['core/v1', 'ConfigMap'], ['core/v1', 'ConfigMapList'],
  ['core/v1', 'Secret'], ['core/v1', 'SecretList'],
  ['core/v1', 'Event'], ['core/v1', 'EventList'],
  ['apps/v1', 'Deployment'], ['apps/v1', 'DeploymentList'],
  ['apps/v1', 'ReplicaSet'], ['apps/v1', 'ReplicaSetList'],
  ['coordination/v1', 'Lease'], ['coordination/v1', 'LeaseList'],
  ['autoscaling/v1', 'Scale'],
  ['meta/v1', 'Status'], ['meta/v1', 'DeleteOptions'], ['meta/v1', 'WatchEvent'],
  ['meta/v1', 'APIResourceList'], ['meta/v1', 'APIGroupList'], ['meta/v1', 'APIVersions'],
];

const intOrString: Schema = {
  'x-kubernetes-int-or-string': true,
  anyOf: [{ type: 'integer' }, { type: 'string' }],
};

const require = createRequire(import.meta.url);
const typesDir = dirname(require.resolve('kubernetes-types/package.json'));

interface Module {
  decls: Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>;
  imports: Map<string, string>; // local name -> module key
}

const modules = new Map<string, Module>();

function loadModule(key: string): Module {
  const cached = modules.get(key);
  if (cached) return cached;
  const file = join(typesDir, `${key}.d.ts`);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const mod: Module = { decls: new Map(), imports: new Map() };
  for (const stmt of source.statements) {
    if (ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) mod.decls.set(stmt.name.text, stmt);
    if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier)) {
      const target = join(dirname(key), stmt.moduleSpecifier.text).replace(/^\.\//, '');
      const named = stmt.importClause?.namedBindings;
      if (named && ts.isNamedImports(named)) for (const el of named.elements) mod.imports.set(el.name.text, target);
    }
  }
  modules.set(key, mod);
  return mod;
}

function docOf(node: ts.Node): string | undefined {
  const tags = ts.getJSDocCommentsAndTags(node);
  const text = tags
    .filter(ts.isJSDoc)
    .map((d) => (typeof d.comment === 'string' ? d.comment : ts.getTextOfJSDocComment(d.comment) ?? ''))
    .join('\n')
    .trim();
  return text || undefined;
}

const definitions: Record<string, Schema> = {};
const pending: Array<[string, string]> = [...roots];

function definitionName(moduleKey: string, name: string): string {
  const prefix = modulePrefix[moduleKey];
  if (!prefix) throw new Error(`generate schemas: no OpenAPI prefix for kubernetes-types module ${moduleKey}`);
  return `${prefix}.${name}`;
}

function refTo(moduleKey: string, name: string): Schema {
  if (name === 'Time' || name === 'MicroTime') return { type: 'string', format: 'date-time' };
  pending.push([moduleKey, name]);
  return { $ref: `#/components/schemas/${definitionName(moduleKey, name)}` };
}

function convertType(node: ts.TypeNode, moduleKey: string): Schema {
  const mod = loadModule(moduleKey);
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string' };
    case ts.SyntaxKind.NumberKeyword:
      return { type: 'integer' };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return { 'x-kubernetes-preserve-unknown-fields': true };
  }
  if (ts.isLiteralTypeNode(node)) return { type: 'string' };
  if (ts.isParenthesizedTypeNode(node)) return convertType(node.type, moduleKey);
  if (ts.isArrayTypeNode(node)) return { type: 'array', items: convertType(node.elementType, moduleKey) };
  if (ts.isUnionTypeNode(node)) {
    const kinds = new Set(node.types.map((t) => t.kind));
    if (kinds.has(ts.SyntaxKind.NumberKeyword) && kinds.has(ts.SyntaxKind.StringKeyword)) return { ...intOrString };
    if (node.types.every(ts.isLiteralTypeNode)) return { type: 'string' };
    throw new Error(`generate schemas: unsupported union ${node.getText()}`);
  }
  if (ts.isTypeLiteralNode(node)) {
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    if (index && node.members.length === 1) {
      return { type: 'object', additionalProperties: convertType(index.type, moduleKey) };
    }
    return objectSchema(node.members, moduleKey);
  }
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
    const name = node.typeName.text;
    if (name === 'Array' && node.typeArguments?.length === 1) {
      return { type: 'array', items: convertType(node.typeArguments[0]!, moduleKey) };
    }
    if (mod.decls.has(name)) return refTo(moduleKey, name);
    const from = mod.imports.get(name);
    if (from) return refTo(from, name);
  }
  throw new Error(`generate schemas: unsupported type ${node.getText()} in ${moduleKey}`);
}

function objectSchema(members: ts.NodeArray<ts.TypeElement>, moduleKey: string): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const member of members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : member.name.getText();
    let schema = convertType(member.type, moduleKey);
    const description = docOf(member);
    if (schema.$ref) schema = { allOf: [schema] };
    if (description) schema = { description, ...schema };
    properties[name] = schema;
    if (!member.questionToken) required.push(name);
  }
  if (Object.keys(properties).length === 0) {
    return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
  const schema: Schema = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) schema.required = required.sort();
  return schema;
}

function convertDeclaration(moduleKey: string, name: string): Schema {
  const decl = loadModule(moduleKey).decls.get(name);
  if (!decl) throw new Error(`generate schemas: ${name} not found in kubernetes-types/${moduleKey}`);
  let schema: Schema;
  if (moduleKey === 'api/resource' && name === 'Quantity') schema = { ...intOrString };
  else if (ts.isInterfaceDeclaration(decl)) schema = objectSchema(decl.members, moduleKey);
  else schema = convertType(decl.type, moduleKey);
  const description = docOf(decl);
  return description ? { description, ...schema } : schema;
}

while (pending.length > 0) {
  const [moduleKey, name] = pending.shift()!;
  const defName = definitionName(moduleKey, name);
  if (definitions[defName]) continue;
  definitions[defName] = {}; // reserve: breaks reference cycles (JSONSchemaProps-like types)
  definitions[defName] = convertDeclaration(moduleKey, name);
}

const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
const typesVersion = JSON.parse(readFileSync(join(typesDir, 'package.json'), 'utf8')).version as string;
const out = {
  source: `kubernetes-types@${typesVersion}`,
  note: 'Generated by api/schemas/generate.ts; do not edit by hand.',
  schemas: sorted,
};
const target = join(dirname(fileURLToPath(import.meta.url)), 'kubernetes.json');
writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${Object.keys(sorted).length} definitions to ${target}`);
