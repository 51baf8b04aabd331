// The four outcomes (deny, pending, warn, allow) and the rule that the strictest wins.

export type Outcome = 'deny' | 'pending' | 'warn' | 'allow';

// A switch rather than a lookup table: it compiles to pointer compares of interned strings.
function rank(o: Outcome): number {
  switch (o) {
    case 'allow':
      return 0;
    case 'warn':
      return 1;
    case 'pending':
      return 2;
    case 'deny':
      return 3;
    default:
      o satisfies never;
      return 3;
  }
}

/** The stricter of two outcomes: the pairwise form of `strictest`. */
export function stricter(a: Outcome, b: Outcome): Outcome {
  return rank(b) > rank(a) ? b : a;
}

/** deny > pending > warn > allow. Nothing applies → 'allow'. */
export function strictest(outcomes: readonly Outcome[]): Outcome {
  let result: Outcome = 'allow';
  for (let i = 0; i < outcomes.length; i++) result = stricter(result, outcomes[i]!);
  return result;
}
