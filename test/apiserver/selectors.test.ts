// Label and field selector parsing and matching, table-driven against kube's semantics.
import { describe, expect, it } from 'vitest';
import { labelSelectorToString, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../apiserver/index.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'fe', 'app.kubernetes.io/name': 'shop', n: '5' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['tier in (fe, be)', true],
    ['tier in (be)', false],
    ['tier notin (be)', true],
    ['missing notin (be)', true],
    ['missing in (be)', false],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app.kubernetes.io/name=shop,tier=fe', true],
    ['app=web,tier=be', false],
    ['n>4', true],
    ['n<4', false],
    ['app=', false],
  ])('%s matches: %s', (text, want) => {
    expect(matchesLabels(parseLabelSelector(text), labels)).toBe(want);
  });

  it.each(['app=(web', 'in (a)', 'app in (a', '=web'])('rejects %s with a 400', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('renders a LabelSelector object as kubectl shows it', () => {
    expect(labelSelectorToString({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }, { key: 'x', operator: 'DoesNotExist' }] }))
      .toBe('!x,a=1,b=2,env in (dev,prod)');
  });
});

describe('field selectors', () => {
  const allowed = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName']);
  const fields = { 'metadata.name': 'p,1', 'metadata.namespace': 'default', 'spec.nodeName': '' };
  it.each([
    ['metadata.name=p\\,1', true],
    ['metadata.name==p\\,1,metadata.namespace=default', true],
    ['metadata.namespace!=default', false],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
  ])('%s matches: %s', (text, want) => {
    expect(matchesFields(parseFieldSelector(text, allowed), fields)).toBe(want);
  });

  it('rejects fields the resource does not support, naming them', () => {
    expect(() => parseFieldSelector('status.phase=Running', allowed)).toThrow('field label not supported: status.phase');
  });
});
