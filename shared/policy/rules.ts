// Content rules (docs/policies.md, "Content rules"): how a policy's rules judge one request, and
// what that does to its gate. The strictest matching rule is the policy's outcome; a rule that
// cannot be evaluated counts as `pending`, so an error can hold a request but never let one through.
import type { Approvers, Gate, PolicyRule, Quorum, RuleOutcome, RuleResult } from '../schemas/index.ts';
import { stricter } from './outcome.ts';
import { compileWhen } from './rule-compile.ts';

/** A matching deny or warn rule, with the sentence shown to people. */
export interface RuleMessage {
  policyId: string;
  rule: string;
  outcome: 'deny' | 'warn';
  message: string;
}

export interface RulesJudgement {
  /** The strictest matching rule's outcome; undefined when no rule matched (the ordinary gate stands). */
  outcome: RuleOutcome | undefined;
  results: RuleResult[];
  /** The quorums of the matching pending rules, to raise the gate by (risk-driven quorum). */
  raises: Quorum[];
  messages: RuleMessage[];
}

/** `Policy "Production cost", rule "cost cap": Monthly cost may rise by at most 500` */
export function ruleMessage(policyName: string, rule: PolicyRule): string {
  return `Policy "${policyName}", rule "${rule.name}": ${rule.message?.trim() || rule.name}`;
}

function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `the number ${v}`;
  if (v === null) return 'null';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return `the number ${v}`;
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0]!.trim() || 'the rule could not be evaluated';
}

/**
 * Runs every rule against `input` (rule-input.ts; undefined: the policy's timezone is unknown here,
 * so no rule can be read and each counts as an error).
 */
const READS_RISK = /\brisk\b/;
/** The result recorded when incomplete risk facts hold a policy that its rules would let through. */
export const INCOMPLETE_RISK_RULE = '(risk analysis incomplete)';
export const INCOMPLETE_RISK = 'the diff’s risk analysis stopped at its time budget, so its facts are lower bounds: counted as pending';

function riskIncomplete(input: Record<string, unknown> | undefined): boolean {
  return (input?.risk as { complete?: unknown } | undefined)?.complete === false;
}

export function judgeRules(
  policyId: string,
  policyName: string,
  rules: readonly PolicyRule[],
  input: Record<string, unknown> | undefined,
  timezone?: string,
): RulesJudgement {
  const judgement: RulesJudgement = { outcome: undefined, results: [], raises: [], messages: [] };
  for (const rule of rules) {
    let error: string | undefined;
    let matched = false;
    if (input === undefined) error = `the timezone ${timezone ?? 'UTC'} is unknown to this runtime`;
    else {
      const compiled = compileWhen(rule.when);
      if (!compiled.ok) error = `does not compile: ${compiled.message}`;
      else {
        try {
          const value = compiled.program(input);
          if (value === true) matched = true;
          else if (value !== false) error = `returned ${describeValue(value)}, not true or false`;
        } catch (e) {
          error = errorText(e);
        }
      }
    }
    if (error !== undefined) {
      judgement.results.push({ policyId, rule: rule.name, matched: true, outcome: 'pending', error });
      judgement.outcome = stricter(judgement.outcome ?? 'allow', 'pending');
      continue;
    }
    judgement.results.push({ policyId, rule: rule.name, matched, outcome: rule.outcome });
    if (!matched) continue;

    judgement.outcome = stricter(judgement.outcome ?? 'allow', rule.outcome);
    if (rule.outcome === 'pending' && rule.quorum !== undefined) judgement.raises.push(rule.quorum);
    if (rule.outcome === 'deny' || rule.outcome === 'warn')
      judgement.messages.push({ policyId, rule: rule.name, outcome: rule.outcome, message: ruleMessage(policyName, rule) });
  }
  // Facts cut short at the analysis budget are lower bounds: a rule reading them that did not
  // match might have, so they may not let the change through, or a huge diff would slip past
  // "risk.deletedResources > 0 → deny, otherwise allow".
  if ((judgement.outcome === 'allow' || judgement.outcome === 'warn') && riskIncomplete(input) && rules.some((r) => READS_RISK.test(r.when))) {
    judgement.outcome = 'pending';
    judgement.results.push({ policyId, rule: INCOMPLETE_RISK_RULE, matched: true, outcome: 'pending', error: INCOMPLETE_RISK });
  }
  return judgement;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  if (b.length === 0) return a as string[];
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The gate with its quorum raised: the larger of each number, the union of each required list.
 * Whoever a raise requires also becomes an approver, or a rule asking for Security's approval on
 * a gate Security isn't in would hold the request for ever. Returns the same gate when nothing rises,
 * so raising again at each decision changes nothing that is already there.
 */
export function raiseGate(gate: Gate, raises: readonly Quorum[]): Gate {
  if (raises.length === 0) return gate;
  let q = gate.quorum;
  let a: Approvers = gate.approvers;
  for (const r of raises) {
    q = {
      minApprovals: Math.max(q.minApprovals, r.minApprovals),
      minDistinctTeams: Math.max(q.minDistinctTeams, r.minDistinctTeams),
      requiredUserIds: union(q.requiredUserIds, r.requiredUserIds),
      requiredTeamIds: union(q.requiredTeamIds, r.requiredTeamIds),
      requiredOrgRoles: union(q.requiredOrgRoles, r.requiredOrgRoles),
    };
    a = {
      userIds: union(a.userIds, r.requiredUserIds),
      teamIds: union(a.teamIds, r.requiredTeamIds),
      orgRoles: union(a.orgRoles, r.requiredOrgRoles),
    };
  }
  const o = gate.quorum;
  const same =
    q.minApprovals === o.minApprovals &&
    q.minDistinctTeams === o.minDistinctTeams &&
    sameList(q.requiredUserIds, o.requiredUserIds) &&
    sameList(q.requiredTeamIds, o.requiredTeamIds) &&
    sameList(q.requiredOrgRoles, o.requiredOrgRoles) &&
    sameList(a.userIds, gate.approvers.userIds) &&
    sameList(a.teamIds, gate.approvers.teamIds) &&
    sameList(a.orgRoles, gate.approvers.orgRoles);
  return same ? gate : { ...gate, quorum: q, approvers: a };
}
