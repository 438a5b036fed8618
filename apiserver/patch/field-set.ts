// Field sets: which fields of an object someone owns, in the FieldsV1 vocabulary
// Kubernetes stores in metadata.managedFields.
//
// A path is a list of path elements:
//   f:<name>                 a field of a map            f:spec, f:replicas
//   k:{"name":"web"}         an element of a keyed list  (keys sorted, JSON encoded)
//   v:"example.com/x"        an element of a set         (the JSON value)
//   i:3                      an element by position      (only for unkeyed fallbacks)
// A set holds leaf paths (scalars, atomic lists, empty maps) and list-element paths;
// parents are implied. In FieldsV1 JSON a set is a tree of these elements, and `".": {}`
// marks a node that is itself a member and also has children:
//   {"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}}

import { childPath, fieldMeta, itemPath } from './merge-keys.js';
import { PatchError } from './errors.js';
import { isObject, type JsonObject, type JsonValue } from './json.js';

const SEP = '\u0000';

/** A set of encoded paths (path elements joined by NUL). */
export type FieldSet = Set<string>;

/** Encodes a path for use as a FieldSet member. */
export function encodePath(elements: readonly string[]): string {
  return elements.join(SEP);
}

/** Splits an encoded path back into its elements. */
export function decodePath(path: string): string[] {
  return path === '' ? [] : path.split(SEP);
}

/** True when `path` lies strictly below `ancestor`. */
export function isBelow(path: string, ancestor: string): boolean {
  return path.startsWith(ancestor + SEP);
}

/** The FieldsV1 JSON of a set, children in Kubernetes' order (f:, k:, v:, i:, then text). */
export function toFieldsV1(set: FieldSet): JsonObject {
  interface Node {
    self: boolean;
    children: Map<string, Node>;
  }
  const root: Node = { self: false, children: new Map() };
  for (const path of set) {
    let node = root;
    for (const pe of decodePath(path)) {
      let next = node.children.get(pe);
      if (!next) node.children.set(pe, (next = { self: false, children: new Map() }));
      node = next;
    }
    node.self = true;
  }
  const rank = (pe: string): number => 'fkvi'.indexOf(pe[0]!);
  const emit = (node: Node): JsonObject => {
    const out: JsonObject = {};
    if (node.self && node.children.size > 0) out['.'] = {};
    const keys = [...node.children.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    for (const k of keys) out[k] = emit(node.children.get(k)!);
    return out;
  };
  return emit(root);
}

/** Reads FieldsV1 JSON into a set; throws on anything that is not a FieldsV1 tree. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const set: FieldSet = new Set();
  const walk = (node: unknown, path: string[]): void => {
    if (!isObject(node)) throw new Error(`fieldsV1 at ${path.join('.') || 'the top'} is not an object`);
    const keys = Object.keys(node);
    if (path.length > 0 && (keys.length === 0 || keys.includes('.'))) set.add(encodePath(path));
    for (const k of keys) {
      if (k === '.') continue;
      if (!/^[fkvi]:/.test(k)) throw new Error(`fieldsV1 element ${JSON.stringify(k)} has no f:/k:/v:/i: prefix`);
      walk(node[k], [...path, k]);
    }
  };
  walk(fields, []);
  return set;
}

/** A path as Kubernetes prints it in conflicts: `.spec.containers[name="web"].image`. */
export function formatPath(path: string): string {
  return decodePath(path)
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const keys = JSON.parse(body) as JsonObject;
          return `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/** One member of an object's field set, with the value it holds (for comparisons). */
export interface FieldEntry {
  /** `leaf`: scalar, atomic list, empty map or list; `item`: an element of a keyed list or set. */
  type: 'leaf' | 'item';
  value: JsonValue;
}

export interface CollectOptions {
  /** Applied configurations must key every list element; live objects fall back to `i:N`. */
  strict?: boolean;
}

/** Every owned-able path of `obj` with its value: leaves and list elements, as SSA's
 * ToFieldSet walks it, using the listType/listMapKeys of `kind` from merge-keys.ts. */
export function collectFields(kind: string, obj: JsonObject, options: CollectOptions = {}): Map<string, FieldEntry> {
  const out = new Map<string, FieldEntry>();
  const walkMap = (map: JsonObject, schemaPath: string, path: string[]): void => {
    for (const [key, value] of Object.entries(map)) walkValue(value, childPath(schemaPath, key), [...path, `f:${key}`]);
  };
  const walkValue = (value: JsonValue, schemaPath: string, path: string[]): void => {
    if (isObject(value) && Object.keys(value).length > 0) {
      walkMap(value, schemaPath, path);
      return;
    }
    const meta = Array.isArray(value) && value.length > 0 ? fieldMeta(kind, schemaPath) : undefined;
    if (!Array.isArray(value) || !meta || meta.listType === undefined || meta.listType === 'atomic') {
      out.set(encodePath(path), { type: 'leaf', value });
      return;
    }
    const seen = new Set<string>();
    value.forEach((item, index) => {
      const pe = meta.listType === 'set' ? `v:${JSON.stringify(item)}` : keyElement(item, meta.listMapKeys ?? [], meta.itemDefaults, index, schemaPath, options.strict === true);
      if (seen.has(pe)) {
        if (options.strict) {
          throw new PatchError('Invalid', `apply ${kind}: ${schemaPath} has duplicate entries for ${formatPath(pe)}`, [
            { reason: 'FieldValueDuplicate', message: `duplicate entries for ${formatPath(pe)}`, field: schemaPath },
          ]);
        }
        return;
      }
      seen.add(pe);
      const itemPathElements = [...path, pe];
      out.set(encodePath(itemPathElements), { type: 'item', value: item });
      if (isObject(item) && meta.listType === 'map') walkMap(item, itemPath(schemaPath), itemPathElements);
    });
  };
  walkMap(obj, '', []);
  return out;
}

/** The `k:{...}` element of a keyed list element (defaults fill absent keys, P10). */
export function keyElement(item: JsonValue, keys: readonly string[], defaults: JsonObject | undefined, index: number, schemaPath: string, strict: boolean): string {
  const key: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = isObject(item) ? (item[k] ?? defaults?.[k]) : undefined;
    if (v === undefined || v === null) {
      if (strict) {
        throw new PatchError('Invalid', `apply: ${schemaPath} element ${index} has no ${k}, which keys this list`, [
          { reason: 'FieldValueRequired', message: `Required value: ${k} keys this list`, field: `${schemaPath}[${index}].${k}` },
        ]);
      }
      return `i:${index}`;
    }
    key[k] = v;
  }
  return `k:${JSON.stringify(key)}`;
}
