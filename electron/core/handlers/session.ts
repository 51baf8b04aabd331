// session.* and status.*: signing in and out, and what the console shows about the connection.
import type { Clock } from '../../../shared/clock.ts';
import type { Handlers } from '../../../shared/ipc.ts';
import { serverUrlProblem } from '../../../shared/transport.ts';
import type { Cache } from '../cache/index.ts';
import { ApiError, createBackendClient } from '../client/index.ts';
import type { Connection } from '../connection/index.ts';
import type { SecretStore } from '../contracts.ts';
import { CoreError } from '../ipc/dispatch.ts';
import type { Outbox } from '../outbox/index.ts';
import type { SettingsStore } from '../settings/index.ts';

export interface SessionDeps {
  mode: 'desktop' | 'web';
  connection: Connection;
  secrets: SecretStore;
  settings: SettingsStore;
  cache: Cache;
  outbox: Pick<Outbox, 'setAside'>;
  /** Tells listeners the approvable count, which sign-out sets to 0. */
  publishCount: () => void;
  clock: Clock;
  /** Why the token is not persisted on this system, if it is not. */
  tokenNotice?: string | undefined;
  /** --allow-insecure-http: plain http to a host that is not this machine. */
  allowInsecureHttp: boolean;
}

export function sessionHandlers(d: SessionDeps): Pick<Handlers, 'session.get' | 'session.signIn' | 'session.signOut' | 'status.get'> {
  const { connection } = d;
  const session = () => {
    const url = connection.url;
    const me = connection.me;
    return {
      mode: d.mode,
      now: d.clock().toISOString(),
      signedIn: url !== undefined,
      ...(url !== undefined ? { serverUrl: url } : {}),
      ...(me ? { user: me } : {}),
      ...(d.tokenNotice ? { tokenNotice: d.tokenNotice } : {}),
    };
  };
  return {
    'session.get': async () => session(),
    'session.signIn': async ({ serverUrl, token }) => {
      const url = serverUrl.replace(/\/+$/, '');
      // Checked before anything is dropped: a wrong token leaves the current session as it was.
      const insecure = serverUrlProblem(url, { allowInsecureHttp: d.allowInsecureHttp });
      if (insecure) throw new CoreError('invalid_input', insecure, 400);
      const probe = createBackendClient({ baseUrl: url, token: () => token, allowInsecureHttp: d.allowInsecureHttp });
      await probe.me().catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) throw new CoreError('unauthorized', 'the server refused this token', 401);
        throw err;
      });
      await connection.disconnect();
      await d.secrets.set(token);
      await d.settings.setServerUrl(url);
      await connection.connect(url, token);
      return session();
    },
    'session.signOut': async () => {
      await connection.disconnect();
      // What was queued and not sent stays visible as conflicts, never sent by a later session.
      await d.outbox.setAside();
      await d.secrets.set(undefined);
      await d.settings.setServerUrl(null);
      d.cache.reset();
      connection.forgetUser();
      d.publishCount();
      return session();
    },
    'status.get': async () => connection.status,
  };
}
