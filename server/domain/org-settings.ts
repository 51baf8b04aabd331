// The organisation's notification settings (admins write, everyone reads), each user's email
// preferences, and the one-click unsubscribe that edits them from a signed link.
import type { OrgSettings, PatchPreferencesBody, PatchSettingsBody, Preferences, User } from '../../shared/schemas/index.ts';
import { readUnsubscribeToken } from '../notify/unsubscribe.ts';
import type { StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { DomainError, invalid } from './errors.ts';
import { changed, type Result } from './result.ts';

export async function patchSettings(ctx: ServiceContext, tx: StoreTx, actor: User, body: PatchSettingsBody): Promise<Result<OrgSettings>> {
  for (const id of body.securityTeamIds ?? []) if (!(await tx.get('team', id))) throw invalid(`securityTeamIds: unknown team "${id}"`);
  const current = await tx.settings();
  const next: OrgSettings = { ...current };
  if (body.reminderAfterMinutes !== undefined) next.reminderAfterMinutes = body.reminderAfterMinutes;
  if (body.securityTeamIds !== undefined) next.securityTeamIds = [...new Set(body.securityTeamIds)];
  if (body.publicUrl === null) delete next.publicUrl;
  else if (body.publicUrl !== undefined) next.publicUrl = body.publicUrl.replace(/\/+$/, '');
  await tx.putSettings(next);
  await audit(tx, ctx.now(), actor, 'settings.updated', 'settings', { ...body });
  return changed(next);
}

export async function patchPreferences(tx: StoreTx, actor: User, body: PatchPreferencesBody): Promise<Result<Preferences>> {
  const next: Preferences = { email: { events: [...new Set(body.email.events)] } };
  await tx.putPreferences(actor.id, next);
  return changed(next);
}

/** Takes the token's event out of its user's email preferences. */
export async function unsubscribe(tx: StoreTx, token: string): Promise<Result<null>> {
  const named = readUnsubscribeToken(await tx.notifySecret(), token);
  const user = named && (await tx.get('user', named.userId));
  if (!named || !user) throw new DomainError('not_found', 'not_found', 'unknown unsubscribe link');
  const current = await tx.preferences(user.id);
  await tx.putPreferences(user.id, { email: { events: current.email.events.filter((e) => e !== named.event) } });
  return changed(null);
}
