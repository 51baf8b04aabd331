// The cached directory as maps by id, for the engine's name and membership lookups.
import type { Environment, Team, User } from '../../../shared/schemas/index.ts';
import type { Cache } from '../cache/index.ts';

export const usersById = (cache: Cache): Map<string, User> => new Map(cache.list('user').map((u) => [u.id, u]));
export const teamsById = (cache: Cache): Map<string, Team> => new Map(cache.list('team').map((t) => [t.id, t]));
export const environmentsById = (cache: Cache): Map<string, Environment> => new Map(cache.list('environment').map((e) => [e.id, e]));
