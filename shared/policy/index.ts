// The policy engine (docs/policies.md): pure functions shared by the server, which enforces them, and
// the desktop app, which previews them offline. No I/O and no clock: `now` is always passed in.
export { strictest } from './outcome.ts';
export type { Outcome } from './outcome.ts';
export {
  BREAKGLASS_AUTHORITY_REFUSAL,
  AUDITOR_ROLE,
  BREAKGLASS_OWN_REVIEW_REFUSAL,
  BREAKGLASS_REVIEW_AUTHORITY_REFUSAL,
  breakGlassReviewRefusal,
  FREEZE_AUTHORITY_REFUSAL,
  holdsOrgRole,
  isAdmin,
  mayBreakGlass,
  mayChangeProtection,
  mayFreeze,
  PROTECTION_AUTHORITY_REFUSAL,
  mayReviewBreakGlass,
} from './roles.ts';
export { conditionsHold } from './conditions.ts';
export type { ActionInput } from './action-input.ts';
export { collectGates } from './collect-gates.ts';
export { authorityGate, gateFromPolicy, isClusterAction, isDeployLike, needsAuthorityApproval, OWNER_OR_ADMIN_APPROVAL, restrictedGate } from './gates.ts';
export { evaluateAction } from './evaluate-action.ts';
export { compileWhen, RULE_INPUT_DECLARATIONS, ruleIssues } from './rule-compile.ts';
export type { CompiledRule, RuleIssue } from './rule-compile.ts';
export { ruleInputAt, ruleInputBase } from './rule-input.ts';
export type { RuleInputSource } from './rule-input.ts';
export { judgeRules, raiseGate, ruleMessage } from './rules.ts';
export type { RuleMessage, RulesJudgement } from './rules.ts';
export { rulesAtDecision } from './rules-at-decision.ts';
export type { DecisionRuleContext, RulesAtDecision } from './rules-at-decision.ts';
export { checkResource } from './resources.ts';
export type { ResourceCheck } from './resources.ts';
export type { ActionEvaluation, Violation } from './evaluate-action.ts';
export { activeBreakGlass, awaitsReview, sessionEnded } from './breakglass.ts';
export { canApprove, isEligible, isEligibleForAny } from './eligibility.ts';
export { maxDistinctTeams } from './matching.ts';
export { evaluateProgress, progressLine } from './progress.ts';
export type { NameLookup } from './progress.ts';
export { actionsWords, approversWords, bindingsWords, describePolicy, listWords, quorumWords, rulesWords, whatWords, whenWords } from './describe.ts';
export type { BindingLike, PolicyNames, PolicyWords } from './describe.ts';
export { clockAt, daysWords, hoursWords, windowHours, wrapsPastMidnight, zoneCity, zoneWords } from './window-words.ts';
