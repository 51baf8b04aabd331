// users.* and teams.*: the directory's people, changed on the server (admins; online only). Each
// answer is applied to the cache and announced at once, so the console shows the change without
// waiting for the next sync page (which brings the same row again, harmlessly).
import { randomUUID } from 'node:crypto';
import type { Handlers, Payload } from '../../../shared/ipc.ts';
import type { SyncEntity, Team, User } from '../../../shared/schemas/index.ts';
import type { Cache } from '../cache/index.ts';
import type { Connection } from '../connection/index.ts';

export interface PeopleDeps {
  cache: Pick<Cache, 'applyChanges' | 'cursor'>;
  connection: Pick<Connection, 'online'>;
  emit: (event: 'cache.changed', payload: Payload<'cache.changed'>) => void;
}

type PeopleChannels = 'users.create' | 'users.update' | 'users.deactivate' | 'users.reactivate' | 'teams.create';

export function peopleHandlers(d: PeopleDeps): Pick<Handlers, PeopleChannels> {
  const apply = (entity: Extract<SyncEntity, 'user' | 'team'>, value: User | Team) => {
    const cursor = d.cache.cursor();
    d.cache.applyChanges([{ seq: cursor, entity, id: value.id, op: 'upsert', data: value }], cursor);
    d.emit('cache.changed', { entities: [entity], cursor });
  };
  const setActive = async (id: string, active: boolean) => {
    const user = await d.connection.online().setUserActive(id, active, randomUUID());
    apply('user', user);
    return { user };
  };
  return {
    'users.create': async (body) => {
      const made = await d.connection.online().createUser(body, randomUUID());
      apply('user', made.user);
      return made;
    },
    'users.update': async ({ id, ...patch }) => {
      const user = await d.connection.online().updateUser(id, patch, randomUUID());
      apply('user', user);
      return { user };
    },
    'users.deactivate': ({ id }) => setActive(id, false),
    'users.reactivate': ({ id }) => setActive(id, true),
    'teams.create': async (body) => {
      const team = await d.connection.online().createTeam(body, randomUUID());
      apply('team', team);
      return { team };
    },
  };
}
