import type { User } from '../schemas/index.ts';

/** A role named in a policy is held when it is the user's org role or one of their custom roles. */
export function holdsOrgRole(user: User, role: string): boolean {
  return role === user.orgRole || user.roles.includes(role);
}

export function isAdmin(user: User): boolean {
  return user.orgRole === 'owner' || user.orgRole === 'admin';
}
