import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { maxDistinctTeams } from './index.ts';

/** Tries every way to give each approver one of their teams (or none), teams not shared. */
function bruteForce(sets: readonly (readonly string[])[]): number {
  const used = new Set<string>();
  const go = (i: number): number => {
    if (i === sets.length) return used.size;
    let best = go(i + 1);
    for (const t of new Set(sets[i])) {
      if (used.has(t)) continue;
      used.add(t);
      best = Math.max(best, go(i + 1));
      used.delete(t);
    }
    return best;
  };
  return go(0);
}

describe('maxDistinctTeams', () => {
  it('one person in two teams counts for one team', () => {
    assert.equal(maxDistinctTeams([['sre', 'platform']]), 1);
  });

  it('two people who share a single team count for one', () => {
    assert.equal(maxDistinctTeams([['sre'], ['sre']]), 1);
  });

  it('needs an augmenting path, not greedy choice', () => {
    // Greedy gives bob "sre" first, and alice (sre only) then gets nothing: 1. The matching is 2.
    assert.equal(maxDistinctTeams([['sre', 'platform'], ['sre']]), 2);
    assert.equal(maxDistinctTeams([['a', 'b'], ['a', 'c'], ['a']]), 3);
    assert.equal(
      maxDistinctTeams([
        ['a', 'b'],
        ['a', 'b'],
        ['a', 'b'],
      ]),
      2,
    );
  });

  it('ignores approvers without teams and duplicate team ids', () => {
    assert.equal(maxDistinctTeams([]), 0);
    assert.equal(maxDistinctTeams([[], []]), 0);
    assert.equal(maxDistinctTeams([['sre', 'sre'], []]), 1);
    assert.equal(maxDistinctTeams([['x'], ['y'], ['z']]), 3);
  });

  it('equals a brute-force maximum matching (≤ 6 approvers, ≤ 5 teams)', () => {
    const team = fc.constantFrom('t1', 't2', 't3', 't4', 't5');
    fc.assert(
      fc.property(fc.array(fc.array(team, { maxLength: 5 }), { maxLength: 6 }), (sets) => {
        assert.equal(maxDistinctTeams(sets), bruteForce(sets));
      }),
      { numRuns: 2000 },
    );
  });
});
