// breakglass.get and breakglass.review: one session with the requests made under it (from the
// cache, so a reviewer can read it offline), and the verdict, which only the server can record.
import { randomUUID } from 'node:crypto';
import type { Handlers } from '../../../shared/ipc.ts';
import type { Cache } from '../cache/index.ts';
import type { Connection } from '../connection/index.ts';
import { CoreError } from '../ipc/dispatch.ts';

export interface BreakGlassDeps {
  cache: Cache;
  connection: Pick<Connection, 'online'>;
}

export function breakGlassHandlers({ cache, connection }: BreakGlassDeps): Pick<Handlers, 'breakglass.get' | 'breakglass.review'> {
  return {
    'breakglass.get': async ({ id }) => {
      const session = cache.get('breakglass', id);
      if (!session) throw new CoreError('not_found', 'break-glass session not found', 404);
      const requests = cache
        .list('request')
        .filter((r) => r.breakGlassSessionId === id)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      return { session, requests };
    },
    'breakglass.review': async ({ id, verdict, notes }) => {
      const session = await connection.online().reviewBreakGlass(id, { verdict, notes }, randomUUID());
      // Applied at once so the Needs review list drops it without waiting for the sync round trip.
      cache.applyChanges([{ seq: cache.cursor(), entity: 'breakglass', id, op: 'upsert', data: session }], cache.cursor());
      return { session };
    },
  };
}
