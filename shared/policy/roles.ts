import type { BreakGlassSession, User } from '../schemas/index.ts';

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

/** The custom role that lets a member review break-glass sessions without being an admin. */
export const AUDITOR_ROLE = 'auditor';

/** What the server answers (403) to a review by someone without review authority. */
export const BREAKGLASS_REVIEW_AUTHORITY_REFUSAL = 'only owners, admins and holders of the auditor role can review a break-glass session';

/** What the server answers (403) to a holder reviewing their own session: an override is never its own alibi. */
export const BREAKGLASS_OWN_REVIEW_REFUSAL = 'you cannot review your own break-glass session';

/**
 * Break-glass review authority: owners, admins and holders of `auditor`, and never for the
 * session's own holder. Without a session it answers whether the user may review at all.
 */
export function mayReviewBreakGlass(user: User, session?: Pick<BreakGlassSession, 'userId'>): boolean {
  return breakGlassReviewRefusal(user, session) === undefined;
}

/** Why the user may not review (the server's 403 message), or undefined when they may. */
export function breakGlassReviewRefusal(user: User, session?: Pick<BreakGlassSession, 'userId'>): string | undefined {
  if (!isAdmin(user) && !holdsOrgRole(user, AUDITOR_ROLE)) return BREAKGLASS_REVIEW_AUTHORITY_REFUSAL;
  if (session && session.userId === user.id) return BREAKGLASS_OWN_REVIEW_REFUSAL;
  return undefined;
}
