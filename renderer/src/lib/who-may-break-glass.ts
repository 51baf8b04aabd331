// Who may start (or review) a break-glass session, by name: the server's rule (shared/policy) over
// the directory, so the console can say it before anyone is refused.
import type { User } from '../../../shared/schemas/index.ts';
import { AUDITOR_ROLE, mayBreakGlass, mayReviewBreakGlass } from '../../../shared/policy/roles.ts';

/** Why a user may start a session: "Owner", "Admin" or "breakglass role". */
function authority(u: User, role = 'breakglass'): string {
  if (u.orgRole === 'owner') return 'Owner';
  if (u.orgRole === 'admin') return 'Admin';
  return `${role} role`;
}

function list(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** "Only Olivia Hart (Owner) and Ines Duarte (breakglass role) can start a break-glass session." */
export function whoMayStart(users: User[]): string {
  const eligible = users.filter((u) => u.active !== false && mayBreakGlass(u)).sort((a, b) => a.name.localeCompare(b.name));
  if (eligible.length === 0) return 'Nobody in this organisation can start a break-glass session: it needs the breakglass role, Admin or Owner.';
  return `Only ${list(eligible.map((u) => `${u.name} (${authority(u)})`))} can start a break-glass session.`;
}

/** "Only Aisha Rahman (auditor role) and Olivia Hart (Owner) can review break-glass sessions." */
export function whoMayReview(users: User[]): string {
  const eligible = users.filter((u) => u.active !== false && mayReviewBreakGlass(u)).sort((a, b) => a.name.localeCompare(b.name));
  if (eligible.length === 0) return `Nobody in this organisation can review break-glass sessions: it needs the ${AUDITOR_ROLE} role, Admin or Owner.`;
  return `Only ${list(eligible.map((u) => `${u.name} (${authority(u, AUDITOR_ROLE)})`))} can review break-glass sessions.`;
}
