// Content rules' CEL (docs/policies.md, "Content rules"): the declared input, and compiling a rule's
// `when` once. The same environment runs on the server, in the desktop's offline preview and in the
// CLI, so a rule means the same thing everywhere.
import { Environment } from '@marcbachmann/cel-js';
import type { PolicyRule } from '../schemas/index.ts';

/**
 * The input every rule reads, with CEL's types. Declared rather than left dynamic so a misspelt
 * field (`risk.deletedResource`) or a comparison of a number with a string is refused when the
 * policy is saved, at its position, instead of failing on every request later.
 */
export const RULE_INPUT_DECLARATIONS = {
  action: 'string',
  justification: 'string',
  revision: 'string',
  environment: { name: 'string', protection: 'string' },
  project: { name: 'string' },
  cluster: { name: 'string' },
  requester: { name: 'string', email: 'string', orgRole: 'string', roles: 'list<string>', teams: 'list<string>' },
  approvals: 'list<map<string, dyn>>',
  cost: { totalMonthlyCost: 'double', monthlyCostDiff: 'double' },
  has_cost: 'bool',
  plan: 'map<string, dyn>',
  risk: {
    deletedResources: 'int',
    imageChanges: 'int',
    replicaChanges: 'int',
    rbacChanges: 'int',
    secretChanges: 'int',
    terraformDestroys: 'int',
    filesChanged: 'int',
    linesAdded: 'int',
    linesRemoved: 'int',
    untaggedImages: 'int',
    deletedKinds: 'list<string>',
    complete: 'bool',
  },
  now: { weekday: 'string', hour: 'int' },
} as const;

function ruleEnvironment(): Environment {
  const env = new Environment({
    // `[1, 2.5]` and `{"a": 1, "b": "x"}` are ordinary in policies written by hand.
    homogeneousAggregateLiterals: false,
    // Structural bounds: a rule is a predicate, not a program.
    limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 500, maxMapEntries: 500, maxCallArguments: 16 },
  });
  // CEL orders ints against doubles but, without these, refuses to compare them for equality:
  // `cost.totalMonthlyCost == 0` would not compile, and nobody writes `0.0` for money.
  // (The library registers the mirrored and negated forms itself.)
  env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b));
  env.registerOperator('double in list<int>', (a: number, list: bigint[]) => list.some((b) => a === Number(b)));
  env.registerOperator('int in list<double>', (a: bigint, list: number[]) => list.includes(Number(a)));
  for (const [name, type] of Object.entries(RULE_INPUT_DECLARATIONS)) {
    if (typeof type === 'string') env.registerVariable(name, type);
    else env.registerVariable({ name, schema: type });
  }
  return env;
}

const env = ruleEnvironment();

/** A compiled `when`: call it with a rule input (rule-input.ts); it returns CEL's value or throws. */
export type RuleProgram = (input: Record<string, unknown>) => unknown;

/** Why a rule does not compile; `position` is the 0-based offset in `when` when the library knows it. */
export interface RuleIssue {
  /** The rule's name. */
  rule: string;
  /** The rule's index in the policy's `rules`. */
  index: number;
  message: string;
  position?: number;
}

export type CompiledRule = { ok: true; program: RuleProgram } | { ok: false; message: string; position?: number };

interface CelError {
  message: string;
  node?: { pos?: number };
}

/** The library's first line is the message; the lines after it draw the expression with a caret. */
function issueOf(e: unknown): { message: string; position?: number } {
  const err = e as CelError;
  const message = (typeof err?.message === 'string' ? err.message : String(e)).split('\n')[0]!.trim();
  const pos = err?.node?.pos;
  return typeof pos === 'number' && pos >= 0 ? { message, position: pos } : { message };
}

// Compiled once per distinct expression: policies are re-read from storage on every request, and
// the same `when` text always compiles to the same program. Bounded so a stream of distinct
// expressions (dry runs of drafts) cannot grow it without end.
const MAX_CACHED = 5000;
const cache = new Map<string, CompiledRule>();

/** CEL's own names for concrete types (`int`, `list<string>`); a bare type variable (`V`) says nothing to a reader. */
function typeWords(type: string): string {
  return /^[a-z]/.test(type) ? `is of type ${type}` : 'is not known to be true or false';
}

/** Compiles and type-checks one `when`: it must parse, use only the declared input, and be a bool. */
export function compileWhen(when: string): CompiledRule {
  const hit = cache.get(when);
  if (hit !== undefined) return hit;
  let compiled: CompiledRule;
  try {
    const checked = env.check(when);
    if (!checked.valid) compiled = { ok: false, ...issueOf(checked.error) };
    else if (checked.type !== 'bool' && checked.type !== 'dyn')
      compiled = { ok: false, message: `a rule's when must be true or false, but this ${typeWords(String(checked.type))}`, position: 0 };
    else {
      const parsed = env.parse(when);
      compiled = { ok: true, program: (input) => parsed(input) };
    }
  } catch (e) {
    compiled = { ok: false, ...issueOf(e) };
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(when, compiled);
  return compiled;
}

/** Every reason a policy's rules cannot be saved: compile errors, and two rules with one name. */
export function ruleIssues(rules: readonly PolicyRule[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const seen = new Set<string>();
  rules.forEach((r, index) => {
    const key = r.name.trim().toLowerCase();
    if (seen.has(key)) issues.push({ rule: r.name, index, message: `two rules are named "${r.name}"; each rule needs its own name` });
    seen.add(key);
    const c = compileWhen(r.when);
    if (!c.ok) issues.push({ rule: r.name, index, message: c.message, ...(c.position !== undefined ? { position: c.position } : {}) });
  });
  return issues;
}
