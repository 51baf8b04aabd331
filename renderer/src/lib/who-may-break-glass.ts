// Who may start a break-glass session, by name: the server's rule (shared/policy) over the
// directory, so the start form can say it before anyone is refused.
import type { User } from '../../../shared/schemas/index.ts';
import { mayBreakGlass } from '../../../shared/policy/index.ts';

/** Why a user may start a session: "Owner", "Admin" or "breakglass role". */
function authority(u: User): string {
  if (u.orgRole === 'owner') return 'Owner';
  if (u.orgRole === 'admin') return 'Admin';
  return 'breakglass role';
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
