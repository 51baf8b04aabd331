// Evaluating a requested action, steps 1–6 in that order (docs/policies.md, "Evaluating a requested action").
import type { BreakGlassSession, Environment, Gate, RuleResult } from '../schemas/index.ts';
import { clusterEnvironments, type ActionInput } from './action-input.ts';
import { findBreakGlass } from './breakglass.ts';
import { collectGates } from './collect-gates.ts';
import { isClusterAction, isDeployLike } from './gates.ts';
import { strictest } from './outcome.ts';
import type { Outcome } from './outcome.ts';
import { isAdmin } from './roles.ts';

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

  // 3. Gates.
  const gates = collectGates(input, clusterEnvs);

  // 4. Reason, checked before bypass: the DESIGN order, so an admin still has to say why they act
  //    off-hours even when the policy would then let them through.
  let violations: Violation[] | undefined;
  for (let i = 0; i < gates.length; i++) {
    const gate = gates[i]!;
    if (!gate.requireReason) continue;
    if (violations === undefined) {
      if (input.justification.trim() !== '') break;
      violations = [];
    }
    violations.push({ policyId: gate.policyId ?? gate.id, message: reasonRequiredMessage(gate) });
  }
  if (violations !== undefined) {
    return {
      outcome: 'deny',
      deny: { status: 422, code: 'policy_violations', message: 'policy violations', details: violations },
      gates: [],
      bypassed: [],
      warnings: [],
    };
  }

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
  const warnings: string[] = [];
  if (bypassed.length > 0) {
    const skipped: Gate[] = bypassed.map((b) => b.gate);
    warnings.push(`Admin bypass: ${requester.name} (${requester.orgRole}) skipped ${quotedNames(skipped)}.`);
  }

  // 6. Outcome: each remaining gate is 'pending', each bypassed one 'warn'. strictest is
  //    idempotent, so one entry per kind gives the same answer as one per gate.
  const outcome = strictest([remaining.length > 0 ? 'pending' : 'allow', bypassed.length > 0 ? 'warn' : 'allow']);
  return { outcome, gates: outcome === 'pending' ? remaining : [], bypassed, warnings };
}
