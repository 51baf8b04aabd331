// env0's four outcomes (seed 002) and its "strictest wins" rule (DESIGN.md §3).

export type Outcome = 'deny' | 'pending' | 'warn' | 'allow';

const RANK: Readonly<Record<Outcome, number>> = { allow: 0, warn: 1, pending: 2, deny: 3 };

/** The stricter of two outcomes; the pairwise form of `strictest`, for loops that must not allocate. */
export function stricter(a: Outcome, b: Outcome): Outcome {
  return RANK[b] > RANK[a] ? b : a;
}

/** deny > pending > warn > allow. Nothing applies → 'allow'. */
export function strictest(outcomes: readonly Outcome[]): Outcome {
  let result: Outcome = 'allow';
  for (let i = 0; i < outcomes.length; i++) result = stricter(result, outcomes[i]!);
  return result;
}
