// insights.get: approval latency and the oldest waiting requests, from the cache.
import type { Clock } from '../../../shared/clock.ts';
import type { Handlers } from '../../../shared/ipc.ts';
import type { Cache } from '../cache/index.ts';
import { computeInsights } from '../insights/index.ts';
import { environmentsById, teamsById, usersById } from './lookups.ts';

export function insightsHandlers(cache: Cache, clock: Clock): Pick<Handlers, 'insights.get'> {
  return {
    'insights.get': async ({ days }) =>
      computeInsights(
        cache.list('request'),
        { users: usersById(cache), teams: teamsById(cache), environments: environmentsById(cache) },
        clock(),
        days,
        cache.list('breakglass'),
      ),
  };
}
