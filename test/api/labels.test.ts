import { describe, expect, it } from 'vitest';
import { canonicalQuantity, formatLabelSelector, labelSelectorMatches, parseQuantity, parseSelector, selectorMatches, toMilli } from '../../api/index.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web,tier=front', true],
    ['app!=web', false],
    ['app in (web, api)', true],
    ['env notin (prod)', false],
    ['tier', true],
    ['!legacy', true],
    ['!tier', false],
    ['app=web,missing', false],
    ['missing!=x', true],
  ])('%s matches: %s', (text, expected) => {
    expect(selectorMatches(parseSelector(text), labels)).toBe(expected);
  });

  it('rejects malformed selectors with the position', () => {
    expect(() => parseSelector('app in (a b)')).toThrow(/parse label selector "app in \(a b\)": expected ',' or '\)' at position/);
    expect(() => parseSelector('a=b;c')).toThrow(/expected ','/);
  });

  it('matches structured selectors and prints them as kubectl does', () => {
    const ls = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] };
    expect(labelSelectorMatches(ls, labels)).toBe(true);
    expect(labelSelectorMatches(ls, { app: 'web' })).toBe(false);
    expect(labelSelectorMatches({}, {})).toBe(true);
    expect(formatLabelSelector(ls)).toBe('app=web,tier in (back,front)');
  });
});

describe('quantities', () => {
  it.each<[string | number, number | undefined]>([
    ['500m', 0.5], ['2', 2], [2, 2], ['128Mi', 134217728], ['1Gi', 1073741824], ['1k', 1000], ['1e3', 1000], ['.5', 0.5], ['12x', undefined], ['', undefined],
  ])('%s -> %s', (q, v) => {
    expect(parseQuantity(q)).toBe(v);
  });

  it.each<[string | number, string]>([[0.5, '500m'], [2, '2'], [1.5, '1500m'], [0.0001, '100u'], ['128Mi', '128Mi']])(
    'stores %s as %s',
    (q, s) => {
      expect(canonicalQuantity(q)).toBe(s);
    },
  );

  it('converts CPU to millicores, rounding up', () => {
    expect(toMilli('250m')).toBe(250);
    expect(toMilli(1)).toBe(1000);
    expect(toMilli('0.0001')).toBe(1);
  });
});
