// directory.get and breakglass.list: the synced directory and break-glass sessions, straight from the cache.
import type { Handlers } from '../../../shared/ipc.ts';
import type { Cache } from '../cache/index.ts';

export function directoryHandlers(cache: Cache): Pick<Handlers, 'directory.get' | 'breakglass.list'> {
  return {
    'directory.get': async () => ({
      users: cache.list('user'),
      teams: cache.list('team'),
      projects: cache.list('project'),
      clusters: cache.list('cluster'),
      environments: cache.list('environment'),
      policies: cache.list('policy'),
      bindings: cache.list('binding'),
    }),
    'breakglass.list': async () => ({ sessions: cache.list('breakglass') }),
  };
}
