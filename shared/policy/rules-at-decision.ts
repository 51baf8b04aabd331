// Content rules again at each decision (docs/policies.md, "At each decision"): the approvals so
// far are part of their input, so a rule such as "a destroy needs someone from Security" can hold
// a gate that its quorum alone would pass. Here rules only ever make a request stricter: a pending
// rule raises the snapshot's quorum, a deny rejects the request; allow and warn change nothing,
// or an approval could talk a gate out of its own quorum.
import type { ApprovalRequest, Decision, Environment, Gate, RuleResult, User } from '../schemas/index.ts';
import type { RuleDirectory } from './action-input.ts';
import { ruleInputAt, ruleInputBase, type RuleInputBase } from './rule-input.ts';
import { judgeRules, raiseGate } from './rules.ts';

export interface DecisionRuleContext {
  requester: User;
  environment?: Environment | undefined;
  directory: RuleDirectory;
  /** Every decision, the one being made included. */
  decisions: readonly Decision[];
  now: Date;
}

export interface RulesAtDecision {
  /** The request's gates, raised where a pending rule now asks for more; the same array when none do. */
  gates: Gate[];
  /** The first rule that now denies: the request is to be rejected with its message. */
  deny?: { policyId: string; rule: string; message: string };
  /** Every snapshotted rule and how it judged the request now; undefined when no gate has rules. */
  ruleResults: RuleResult[] | undefined;
}

export function rulesAtDecision(
  request: Pick<ApprovalRequest, 'action' | 'resource' | 'justification' | 'payload' | 'risk' | 'gates'>,
  ctx: DecisionRuleContext,
): RulesAtDecision {
  let base: RuleInputBase | undefined;
  let gates: Gate[] | undefined;
  const out: RulesAtDecision = { gates: request.gates, ruleResults: undefined };
  for (let i = 0; i < request.gates.length; i++) {
    const gate = request.gates[i]!;
    if (gate.rules === undefined || gate.rules.length === 0) continue;
    base ??= ruleInputBase({
      action: request.action,
      justification: request.justification,
      requester: ctx.requester,
      resource: request.resource,
      environment: ctx.environment,
      content: {
        ...(request.payload.revision !== undefined ? { revision: request.payload.revision } : {}),
        ...(request.payload.cost !== undefined ? { cost: request.payload.cost } : {}),
        ...(request.payload.plan !== undefined ? { plan: request.payload.plan } : {}),
        ...(request.risk !== undefined ? { risk: request.risk } : {}),
      },
      directory: ctx.directory,
      decisions: ctx.decisions,
    });
    const j = judgeRules(gate.policyId ?? gate.id, gate.name, gate.rules, ruleInputAt(base, gate.timezone, ctx.now), gate.timezone);
    (out.ruleResults ??= []).push(...j.results);
    if (j.outcome === 'deny' && out.deny === undefined) {
      const m = j.messages.find((x) => x.outcome === 'deny')!;
      out.deny = { policyId: m.policyId, rule: m.rule, message: m.message };
    }
    if (j.raises.length > 0) {
      const raised = raiseGate(gate, j.raises);
      if (raised !== gate) (gates ??= [...request.gates])[i] = raised;
    }
  }
  if (gates !== undefined) out.gates = gates;
  return out;
}
