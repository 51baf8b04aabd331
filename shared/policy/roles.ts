import type { User } from '../schemas/index.ts';

/** A role named in a policy is held when it is the user's org role or one of their custom roles. */
export function holdsOrgRole(user: User, role: string): boolean {
  return role === user.orgRole || user.roles.includes(role);
}

export function isAdmin(user: User): boolean {
  return user.orgRole === 'owner' || user.orgRole === 'admin';
}

/** Freeze authority: owners, admins and holders of `release-manager`. Authority comes before gating. */
export function mayFreeze(user: User): boolean {
  return isAdmin(user) || holdsOrgRole(user, 'release-manager');
}

/** What the server answers (403) to a freeze or unfreeze by someone without freeze authority. */
export const FREEZE_AUTHORITY_REFUSAL = 'only owners, admins and release managers can freeze or unfreeze an environment';

/**
 * Who may ask to change an environment's protection or reviewers: those with freeze authority.
 * Only an owner's or admin's change can apply at once; anyone else's is held for one of them
 * (gates.ts, authorityGate).
 */
export function mayChangeProtection(user: User): boolean {
  return mayFreeze(user);
}

/** What the server answers (403) to a protection change by someone who may not ask for one. */
export const PROTECTION_AUTHORITY_REFUSAL = 'only owners, admins and release managers can change an environment';

/** Break-glass authority: owners, admins and holders of `breakglass`. The console names these people on its start form. */
export function mayBreakGlass(user: User): boolean {
  return isAdmin(user) || holdsOrgRole(user, 'breakglass');
}

/** What the server answers (403) to a break-glass start by someone without break-glass authority. */
export const BREAKGLASS_AUTHORITY_REFUSAL = 'only owners, admins and holders of the breakglass role can start a break-glass session';
