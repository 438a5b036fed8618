import { describe, expect, it } from 'vitest';
import { age, humanDuration } from '../../../apiserver/printers/index.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (kube duration.HumanDuration)', () => {
  it.each([
    [-3 * s, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [4 * h + 5 * m, '4h5m'],
    [8 * h + 59 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [8 * d + 5 * h, '8d'],
    [400 * d, '400d'],
    [730 * d, '2y'],
    [3 * 365 * d + 20 * d, '3y20d'],
    [9 * 365 * d, '9y'],
  ])('%d ms -> %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  it('ages a timestamp against the given clock, <unknown> when absent', () => {
    expect(age('2026-11-28T06:00:00Z', new Date('2026-11-28T06:03:20Z'))).toBe('3m20s');
    expect(age(undefined, new Date())).toBe('<unknown>');
    expect(age('not a time', new Date())).toBe('<unknown>');
  });
});
