// Evaluating a requested action, steps 1–6 in that order (docs/policies.md, "Evaluating a requested action").
import type { BreakGlassSession, Environment, Gate, RuleResult } from '../schemas/index.ts';
import { clusterEnvironments, type ActionInput } from './action-input.ts';
import { findBreakGlass } from './breakglass.ts';
import { collectGates } from './collect-gates.ts';
import { isClusterAction, isDeployLike } from './gates.ts';
import { strictest } from './outcome.ts';
import type { Outcome } from './outcome.ts';
import { isAdmin } from './roles.ts';
import { ruleInputAt, ruleInputBase, type RuleInputBase } from './rule-input.ts';
import { judgeRules, raiseGate } from './rules.ts';

export interface Violation {
  policyId: string;
  message: string;
}

export interface ActionEvaluation {
  outcome: Outcome;
  deny?: {
    status: 422 | 423;
    code: 'policy_violations' | 'environment_locked';
    message: string;
    details?: Violation[];
  };
  /** Gates still to satisfy (the snapshot of a pending request); [] unless outcome is 'pending'. */
  gates: Gate[];
  bypassed: { gate: Gate; by: 'admin' | 'breakglass' }[];
  /** Human sentences recorded on the request (the "warn" outcome). */
  warnings: string[];
  /** How each content rule of the policies that applied judged the action. */
  ruleResults?: RuleResult[];
  breakGlassSessionId?: string;
}

export function lockedMessage(env: Environment): string {
  return `Environment "${env.name}" is locked. Only Admins and Owners can deploy.`;
}

export function reasonRequiredMessage(gate: Gate): string {
  return `Policy "${gate.name}" requires a reason (justification)`;
}

function quotedNames(gates: readonly Gate[]): string {
  let s = '';
  for (let i = 0; i < gates.length; i++) s += `${i === 0 ? '' : ', '}"${gates[i]!.name}"`;
  return s;
}

function breakGlassWarning(session: BreakGlassSession, gates: readonly Gate[], lockedEnv: Environment | undefined): string {
  const parts: string[] = [];
  if (lockedEnv !== undefined) parts.push(`the lock on environment "${lockedEnv.name}"`);
  if (gates.length > 0) parts.push(`${gates.length === 1 ? '1 gate' : `${gates.length} gates`}: ${quotedNames(gates)}`);
  return parts.length === 0
    ? `Break-glass session ${session.id} was active; nothing needed bypassing.`
    : `Break-glass session ${session.id} bypassed ${parts.join(' and ')}.`;
}

/**
 * Judges one requested action. Deny (422/423) is the strictest outcome, so the steps that deny
 * return at once; otherwise the outcome is the strictest of its parts: each remaining gate is
 * 'pending', each bypassed gate 'warn', and nothing at all is 'allow' (the strictest outcome wins).
 */
export function evaluateAction(input: ActionInput): ActionEvaluation {
  const { action, resource, requester, environment } = input;
  const admin = isAdmin(requester);
  // A cluster action is judged against every environment on its cluster: any locked one refuses it.
  const clusterEnvs = clusterEnvironments(input, isClusterAction(action));
  const lockedEnv =
    clusterEnvs !== undefined
      ? clusterEnvs.find((e) => e.protection === 'locked')
      : environment !== undefined && environment.protection === 'locked' && isDeployLike(action)
        ? environment
        : undefined;
  const lockRefuses = lockedEnv !== undefined && !admin;

  // 1. Break-glass goes past locks, reasons and every gate, and always leaves a warning: the use
  //    of a session is what the audit trail must show prominently, even when nothing was gated.
  const session = findBreakGlass(
    input.breakGlassSessions,
    action,
    resource.environmentId ?? environment?.id,
    input.now.getTime(),
    requester.id,
    clusterEnvs?.map((e) => e.id),
  );
  if (session !== undefined) {
    const gates = collectGates(input, clusterEnvs);
    const bypassed = gates.map((gate) => ({ gate, by: 'breakglass' as const }));
    return {
      outcome: 'warn',
      gates: [],
      bypassed,
      warnings: [breakGlassWarning(session, gates, lockRefuses ? lockedEnv : undefined)],
      breakGlassSessionId: session.id,
    };
  }

  // 2. Locked.
  if (lockRefuses) {
    return {
      outcome: 'deny',
      deny: { status: 423, code: 'environment_locked', message: lockedMessage(lockedEnv) },
      gates: [],
      bypassed: [],
      warnings: [],
    };
  }

  // 3. Gates, then what each policy's content rules make of its gate.
  const collected = collectGates(input, clusterEnvs);
  const ruled = applyRules(input, collected);

  // 4. Reason, checked before bypass: the DESIGN order, so an admin still has to say why they act
  //    off-hours even when the policy would then let them through. Every collected gate counts,
  //    also one its rules let through: a reason is part of the policy, not of its quorum. Content
  //    rules that deny join the same list, and deny admins too.
  let violations: Violation[] | undefined;
  if (input.justification.trim() === '') {
    for (let i = 0; i < collected.length; i++) {
      const gate = collected[i]!;
      if (gate.requireReason) (violations ??= []).push({ policyId: gate.policyId ?? gate.id, message: reasonRequiredMessage(gate) });
    }
  }
  if (ruled.denied.length > 0) (violations ??= []).push(...ruled.denied);
  if (violations !== undefined) {
    return {
      outcome: 'deny',
      deny: { status: 422, code: 'policy_violations', message: 'policy violations', details: violations },
      gates: [],
      bypassed: [],
      warnings: [],
      ...(ruled.results !== undefined ? { ruleResults: ruled.results } : {}),
    };
  }
  const gates = ruled.gates;

  // 5. Bypass.
  const bypassed: ActionEvaluation['bypassed'] = [];
  let remaining = gates;
  if (admin) {
    remaining = [];
    for (const gate of gates) {
      if (gate.kind === 'restricted' || gate.adminBypass) bypassed.push({ gate, by: 'admin' });
      else remaining.push(gate);
    }
  }
  const warnings: string[] = [...ruled.warnings];
  if (bypassed.length > 0) {
    const skipped: Gate[] = bypassed.map((b) => b.gate);
    warnings.push(`Admin bypass: ${requester.name} (${requester.orgRole}) skipped ${quotedNames(skipped)}.`);
  }

  // 6. Outcome: each remaining gate is 'pending', each bypassed one 'warn'. strictest is
  //    idempotent, so one entry per kind gives the same answer as one per gate.
  const outcome = strictest([remaining.length > 0 ? 'pending' : 'allow', bypassed.length > 0 || ruled.warnings.length > 0 ? 'warn' : 'allow']);
  return {
    outcome,
    gates: outcome === 'pending' ? remaining : [],
    bypassed,
    warnings,
    ...(ruled.results !== undefined ? { ruleResults: ruled.results } : {}),
  };
}

interface Ruled {
  /** The gates left once each policy's rules have judged it: dropped (allow, warn), raised (pending) or as they were. */
  gates: Gate[];
  denied: Violation[];
  warnings: string[];
  /** Undefined when no gate carries rules. */
  results: RuleResult[] | undefined;
}

/** The rule input is built once per evaluation, and only when some gate has rules. */
function applyRules(input: ActionInput, gates: Gate[]): Ruled {
  let base: RuleInputBase | undefined;
  let out: Gate[] | undefined;
  const ruled: Ruled = { gates, denied: [], warnings: [], results: undefined };
  for (let i = 0; i < gates.length; i++) {
    const gate = gates[i]!;
    const rules = gate.rules;
    if (rules === undefined || rules.length === 0) {
      out?.push(gate);
      continue;
    }
    base ??= ruleInputBase(input);
    const j = judgeRules(gate.policyId ?? gate.id, gate.name, rules, ruleInputAt(base, gate.timezone, input.now), gate.timezone);
    (ruled.results ??= []).push(...j.results);
    out ??= gates.slice(0, i);
    switch (j.outcome) {
      case undefined:
        out.push(gate);
        break;
      case 'pending':
        out.push(raiseGate(gate, j.raises));
        // A warning under a stricter rule is still worth recording on the request.
        for (const m of j.messages) ruled.warnings.push(m.message);
        break;
      case 'deny':
        for (const m of j.messages) if (m.outcome === 'deny') ruled.denied.push({ policyId: m.policyId, message: m.message });
        break;
      case 'warn':
        for (const m of j.messages) ruled.warnings.push(m.message);
        break;
      case 'allow':
        break;
    }
  }
  if (out !== undefined) ruled.gates = out;
  return ruled;
}
