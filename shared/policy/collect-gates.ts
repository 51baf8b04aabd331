// DESIGN.md §3.3: the gates a requested action must pass.
import type { Gate } from '../schemas/index.ts';
import type { ActionInput } from './action-input.ts';
import { isPolicyBound } from './bindings.ts';
import { conditionsHold } from './conditions.ts';
import { gateFromPolicy, isDeployLike, restrictedGate } from './gates.ts';

/**
 * The environment's Restricted gate (deploy-like actions only: Restricted is about deployments,
 * seed 000), then, in the order of `policies`, every policy bound anywhere over the resource whose
 * actions include the action and whose conditions hold at `now`. A policy bound at several levels
 * is one gate: it is the same rule, and counting it twice would demand nothing more.
 */
export function collectGates(input: ActionInput): Gate[] {
  const { action, resource, environment, policies, bindings, now } = input;
  const gates: Gate[] = [];
  if (environment !== undefined && environment.protection === 'restricted' && isDeployLike(action)) {
    gates.push(restrictedGate(environment));
  }
  const environmentName = environment?.name;
  for (let i = 0; i < policies.length; i++) {
    const policy = policies[i]!;
    if (!policy.actions.includes(action)) continue;
    if (!isPolicyBound(policy.id, bindings, resource, environment)) continue;
    if (!conditionsHold(policy.conditions, environmentName, now)) continue;
    if (hasGate(gates, policy.id)) continue;
    gates.push(gateFromPolicy(policy));
  }
  return gates;
}

function hasGate(gates: readonly Gate[], id: string): boolean {
  for (let i = 0; i < gates.length; i++) if (gates[i]!.id === id) return true;
  return false;
}
