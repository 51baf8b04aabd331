// environment.update: an environment's protection and reviewers, changed on the server (online
// only: the server decides whether the change applies at once or is held for approval, and a
// queued change could be judged against rules that no longer hold when it is finally sent).
import { randomUUID } from 'node:crypto';
import type { Handlers } from '../../../shared/ipc.ts';
import type { Cache } from '../cache/index.ts';
import type { Connection } from '../connection/index.ts';

export interface EnvironmentDeps {
  cache: Pick<Cache, 'applyChanges' | 'cursor'>;
  connection: Pick<Connection, 'online'>;
}

export function environmentHandlers({ cache, connection }: EnvironmentDeps): Pick<Handlers, 'environment.update'> {
  return {
    'environment.update': async ({ id, ...body }) => {
      const result = await connection.online().updateEnvironment(id, body, randomUUID());
      // Applied at once so the screen shows the new level (or the held request) without waiting
      // for the sync round trip; the sync echo then changes nothing.
      const change =
        result.status === 200
          ? { seq: cache.cursor(), entity: 'environment' as const, id, op: 'upsert' as const, data: result.environment }
          : { seq: cache.cursor(), entity: 'request' as const, id: result.request.id, op: 'upsert' as const, data: result.request };
      cache.applyChanges([change], cache.cursor());
      return result.status === 200 ? { environment: result.environment } : { request: result.request };
    },
  };
}
