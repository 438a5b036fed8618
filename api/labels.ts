// Label selectors: the structured form objects carry (spec.selector) and the string form
// of `?labelSelector=` and `kubectl -l`. Both compile to one list of requirements, matched
// the way Kubernetes' labels.Selector matches.

import type { LabelSelector } from './types.js';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | '=' | '!=';

/** One requirement: `app=web`, `tier in (a,b)`, `!legacy`. */
export interface Requirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** A parsed selector; an empty list matches everything. */
export type Selector = Requirement[];

function matchesRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case '=':
    case 'In':
      return has && r.values.includes(value!);
    case '!=':
    case 'NotIn':
      return !has || !r.values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** True when `labels` satisfy every requirement. */
export function selectorMatches(selector: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => matchesRequirement(r, l));
}

/**
 * Converts a structured LabelSelector. Note Kubernetes' convention: an empty LabelSelector
 * ({}) matches everything, and callers treat a missing one as matching nothing.
 */
export function fromLabelSelector(ls: LabelSelector): Selector {
  const out: Selector = [];
  for (const [key, value] of Object.entries(ls.matchLabels ?? {})) out.push({ key, operator: '=', values: [value] });
  for (const e of ls.matchExpressions ?? []) {
    out.push({ key: e.key, operator: e.operator as SelectorOperator, values: e.values ?? [] });
  }
  return out;
}

/** True when `labels` match the structured selector (empty selector: everything). */
export function labelSelectorMatches(ls: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return selectorMatches(fromLabelSelector(ls), labels);
}

/** The string form Kubernetes prints (Scale status.selector, `kubectl describe`): 'app=web,tier in (a,b)'. */
export function formatSelector(selector: Selector): string {
  return selector
    .map((r) => {
      switch (r.operator) {
        case '=':
          return `${r.key}=${r.values[0] ?? ''}`;
        case '!=':
          return `${r.key}!=${r.values[0] ?? ''}`;
        case 'In':
          return `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${[...r.values].sort().join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
    })
    .join(',');
}

/** formatSelector of a structured selector. */
export function formatLabelSelector(ls: LabelSelector): string {
  return formatSelector(fromLabelSelector(ls));
}

/**
 * Parses the string form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * comma-separated. Throws an Error naming the selector and the position on bad input.
 */
export function parseSelector(text: string): Selector {
  const out: Selector = [];
  let i = 0;
  const s = text;
  const fail = (why: string): never => {
    throw new Error(`parse label selector "${text}": ${why} at position ${i}`);
  };
  const skipSpace = (): void => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readKey = (): string => {
    skipSpace();
    const start = i;
    while (i < s.length && /[A-Za-z0-9_.\-/]/.test(s[i]!)) i++;
    if (i === start) fail('expected a label key');
    return s.slice(start, i);
  };
  const readValue = (): string => {
    skipSpace();
    const start = i;
    while (i < s.length && /[A-Za-z0-9_.\-]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  skipSpace();
  if (i === s.length) return out;
  for (;;) {
    skipSpace();
    if (s[i] === '!') {
      i++;
      out.push({ key: readKey(), operator: 'DoesNotExist', values: [] });
    } else {
      const key = readKey();
      skipSpace();
      if (s.startsWith('==', i)) {
        i += 2;
        out.push({ key, operator: '=', values: [readValue()] });
      } else if (s.startsWith('!=', i)) {
        i += 2;
        out.push({ key, operator: '!=', values: [readValue()] });
      } else if (s[i] === '=') {
        i += 1;
        out.push({ key, operator: '=', values: [readValue()] });
      } else if (/^(in|notin)\s*\(/.test(s.slice(i))) {
        const operator = s.startsWith('notin', i) ? 'NotIn' : 'In';
        i = s.indexOf('(', i) + 1;
        const values: string[] = [];
        for (;;) {
          values.push(readValue());
          skipSpace();
          if (s[i] === ',') {
            i++;
            continue;
          }
          if (s[i] === ')') {
            i++;
            break;
          }
          fail("expected ',' or ')'");
        }
        out.push({ key, operator, values: values.filter((v) => v !== '') });
      } else {
        out.push({ key, operator: 'Exists', values: [] });
      }
    }
    skipSpace();
    if (i === s.length) return out;
    if (s[i] !== ',') fail("expected ','");
    i++;
  }
}
