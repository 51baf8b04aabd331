import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { strictest } from './index.ts';
import type { Outcome } from './index.ts';

const ALL: Outcome[] = ['deny', 'pending', 'warn', 'allow'];
const outcome = fc.constantFrom<Outcome>(...ALL);

describe('strictest (the strictest outcome wins)', () => {
  it('empty → allow', () => {
    assert.equal(strictest([]), 'allow');
  });

  it('follows deny > pending > warn > allow for every pair', () => {
    const table: [Outcome, Outcome, Outcome][] = [
      ['allow', 'allow', 'allow'],
      ['allow', 'warn', 'warn'],
      ['allow', 'pending', 'pending'],
      ['allow', 'deny', 'deny'],
      ['warn', 'warn', 'warn'],
      ['warn', 'pending', 'pending'],
      ['warn', 'deny', 'deny'],
      ['pending', 'pending', 'pending'],
      ['pending', 'deny', 'deny'],
      ['deny', 'deny', 'deny'],
    ];
    for (const [a, b, expected] of table) {
      assert.equal(strictest([a, b]), expected, `${a} + ${b}`);
      assert.equal(strictest([b, a]), expected, `${b} + ${a}`);
    }
  });

  it('single outcomes are themselves; a long list finds the one deny', () => {
    for (const o of ALL) assert.equal(strictest([o]), o);
    assert.equal(strictest(['allow', 'warn', 'warn', 'pending', 'allow', 'deny', 'warn']), 'deny');
    assert.equal(strictest(['allow', 'warn', 'allow']), 'warn');
  });

  it('is commutative', () => {
    fc.assert(fc.property(outcome, outcome, (a, b) => strictest([a, b]) === strictest([b, a])));
  });

  it('is associative', () => {
    fc.assert(fc.property(outcome, outcome, outcome, (a, b, c) => strictest([strictest([a, b]), c]) === strictest([a, strictest([b, c])])));
  });

  it('is idempotent and order-free over lists', () => {
    fc.assert(fc.property(outcome, (a) => strictest([a, a]) === a));
    fc.assert(
      fc.property(fc.array(outcome), (list) => {
        const once = strictest(list);
        return strictest([...list].reverse()) === once && strictest([...list, ...list]) === once && strictest([once, ...list]) === once;
      }),
    );
  });
});
