// The People screens' words and rules: what the server or the connection said, org roles, the
// form fields' names in errors (the schemas' paths are not words), and what the server would
// refuse, said before anyone tries.
import type { OrgRole, User } from '../../../shared/schemas/index.ts';
import { isAdmin } from '../../../shared/policy/index.ts';

export const PEOPLE_OFFLINE = 'Managing people needs the server; you are offline.';

export const ORG_ROLE_LABELS: Record<OrgRole, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

/** A refusal in words; "offline" says what it means here rather than the transport's reason. */
export function peopleError(err: unknown): string {
  if ((err as { code?: unknown } | undefined)?.code === 'offline') return PEOPLE_OFFLINE;
  return err instanceof Error ? err.message : String(err);
}

const FIELDS: Record<string, string> = {
  name: 'Name',
  email: 'Email',
  orgRole: 'Org role',
  roles: 'Custom roles',
  teamIds: 'Teams',
  githubLogin: 'GitHub login',
};

/** The first problem a schema found, named by its form field: "Email: Invalid email address". */
export function fieldProblem(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const first = issues[0];
  if (!first) return 'invalid';
  const field = FIELDS[String(first.path[0])] ?? String(first.path[0] ?? '');
  return field ? `${field}: ${first.message}` : first.message;
}

/**
 * A GitHub login box's text as a body field: trimmed; empty is no login (left out of a new user,
 * `null` on a person who had one, so the server takes it away; left out when there was none).
 */
export function githubLoginField(text: string, had: string | undefined): { githubLogin?: string | null } {
  const login = text.trim();
  if (login !== '') return { githubLogin: login };
  return had !== undefined ? { githubLogin: null } : {};
}

/** "release-manager, tech-lead" → the list, blanks and repeats dropped. */
export function parseRoles(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
}

/** Why `me` may not change `target`, as the server would refuse it; undefined when they may. */
export function editRefusal(me: User | undefined, target: User): string | undefined {
  if (!me || !isAdmin(me)) return 'Only owners and admins can change people; you can see everything here.';
  if (target.orgRole === 'owner' && me.orgRole !== 'owner') return `Only owners can change an owner: ${target.name} is one.`;
  return undefined;
}

/** Why `me` may not manage `target`'s tokens, as the server would refuse it; undefined when they may. */
export function tokenRefusal(me: User | undefined, target: User | undefined): string | undefined {
  if (!me || !target || me.id === target.id) return undefined;
  if (!isAdmin(me)) return "Only owners and admins can manage another person's tokens.";
  if (target.orgRole === 'owner' && me.orgRole !== 'owner') return "Only owners can manage an owner's tokens.";
  return undefined;
}
