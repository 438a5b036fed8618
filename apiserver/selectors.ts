// Label and field selectors, parsed from the query string forms kubectl sends
// (`app=web,tier!=db,env in (a,b),!legacy`) and matched against objects.
import { badRequest } from './status.js';

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

/** A parsed label selector; empty matches everything. */
export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside a `(...)` value set. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = String.raw`[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`((?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?)`;
const reSet = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^)]*)\)$`);
const reCmp = new RegExp(String.raw`^(${KEY})\s*(==|=|!=|>|<)\s*${VALUE}$`);
const reExists = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

/** Parses `labelSelector`; a malformed one is a 400 naming the bad term. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((term): LabelRequirement => {
    let m = reSet.exec(term);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      return { key: m[1]!, op: m[2] as 'in' | 'notin', values };
    }
    m = reCmp.exec(term);
    if (m) {
      const op = m[2]!;
      return { key: m[1]!, op: op === '==' || op === '=' ? '=' : op === '!=' ? '!=' : op === '>' ? 'gt' : 'lt', values: [m[3] ?? ''] };
    }
    m = reExists.exec(term);
    if (m) return { key: m[2]!, op: m[1] ? '!' : 'exists', values: [] };
    throw badRequest(`unable to parse requirement: invalid label selector term "${term}"`);
  });
}

/** True when labels satisfy every requirement, with kube's semantics for missing keys. */
export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return sel.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=': return has && v === r.values[0];
      case '!=': return !has || v !== r.values[0];
      case 'in': return has && r.values.includes(v!);
      case 'notin': return !has || !r.values.includes(v!);
      case 'exists': return has;
      case '!': return !has;
      case 'gt': return has && Number(v) > Number(r.values[0]);
      case 'lt': return has && Number(v) < Number(r.values[0]);
    }
  });
}

/** The selector of a Deployment or ReplicaSet (`matchLabels` + `matchExpressions`) as text, e.g. for Scale. */
export function labelSelectorToString(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  if (!sel) return '';
  const terms = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') terms.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`);
  }
  return terms.sort().join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Splits on unescaped commas and unescapes `\,` `\=` `\\` as kube's fields.ParseSelector does. */
function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i]! + s[i + 1]!;
      i++;
    } else if (s[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Parses `fieldSelector`; only the fields `allowed` names may be used (400 otherwise, as kube). */
export function parseFieldSelector(text: string | undefined, allowed: Set<string>): FieldSelector {
  if (!text) return [];
  return splitEscaped(text, ',').filter((t) => t.trim() !== '').map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/s.exec(term.trim());
    if (!m) throw badRequest(`invalid field selector term "${term}": use field=value or field!=value`);
    const field = m[1]!.trim();
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) };
  });
}

/** True when every requirement holds for the object's selectable field values. */
export function matchesFields(sel: FieldSelector, fields: Record<string, string | undefined>): boolean {
  return sel.every((r) => {
    const v = fields[r.field] ?? '';
    return r.op === '=' ? v === r.value : v !== r.value;
  });
}
