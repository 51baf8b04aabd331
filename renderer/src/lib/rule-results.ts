// A request's content-rule results as the detail lists them: each next to the rule it judged (its
// expression and message, from the gate's snapshot, which is what was evaluated), the matching
// and failing ones first, strictest first, so "why is this held" is the first line read.
export { riskRows, type RiskRow } from '../../../shared/diff/risk-rows.ts';
import { RULE_OUTCOMES } from '../../../shared/schemas/index.ts';
import type { ApprovalRequest, Policy, RiskFacts, RuleOutcome } from '../../../shared/schemas/index.ts';

export interface RuleRow {
  key: string;
  policyId: string;
  /** The gate's name (the policy's name when the request was made), else the policy's as cached now. */
  policy: string;
  rule: string;
  matched: boolean;
  outcome: RuleOutcome;
  /** The rule's expression: from its gate's snapshot, else from the policy as cached now. */
  when?: string;
  message?: string;
  error?: string;
}

export const OUTCOME_WORDS: Record<RuleOutcome, string> = {
  deny: 'denies',
  pending: 'holds for approval',
  warn: 'warns',
  allow: 'lets through',
};

/** What held or refused the request first, then the catch-all allows that let a policy pass, then the rules that did not match. */
const rank = (r: RuleRow) => (r.error !== undefined || (r.matched && r.outcome !== 'allow') ? 0 : r.matched ? 10 : 20) + RULE_OUTCOMES.indexOf(r.outcome);

/**
 * A policy whose rules let the request through makes no gate, so there is no snapshot to read
 * its name and rules from: `policies` (the cached ones) stand in.
 */
export function ruleRows(request: Pick<ApprovalRequest, 'gates' | 'ruleResults'>, policies: readonly Pick<Policy, 'id' | 'name' | 'rules'>[] = []): RuleRow[] {
  return (request.ruleResults ?? [])
    .map((r, i): RuleRow => {
      const gate = request.gates.find((g) => g.policyId === r.policyId);
      const policy = policies.find((p) => p.id === r.policyId);
      const rule = (gate ? gate.rules : policy?.rules)?.find((x) => x.name === r.rule);
      return {
        key: `${r.policyId} ${r.rule} ${i}`,
        policyId: r.policyId,
        policy: gate?.name ?? policy?.name ?? r.policyId,
        rule: r.rule,
        matched: r.matched,
        outcome: r.outcome,
        ...(rule ? { when: rule.when } : {}),
        ...(rule?.message ? { message: rule.message } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
      };
    })
    .sort((a, b) => rank(a) - rank(b));
}

/** "3 files, +120 −4 lines" */
export function sizeWords(risk: RiskFacts): string {
  return `${risk.filesChanged.toLocaleString('en')} ${risk.filesChanged === 1 ? 'file' : 'files'}, +${risk.linesAdded.toLocaleString('en')} −${risk.linesRemoved.toLocaleString('en')} lines`;
}
