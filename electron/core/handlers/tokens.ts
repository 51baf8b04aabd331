// tokens.*: API tokens, listed, made and revoked on the server (online only): the signed-in user's,
// or, for admins, anyone's (the server decides who may).
// Revoking the token this app uses ends the session here too: the server answers 401 to it from
// then on, so the app signs out (as session.signOut does) rather than fail every call after.
import { randomUUID } from 'node:crypto';
import type { Handlers } from '../../../shared/ipc.ts';
import type { Connection } from '../connection/index.ts';

export interface TokenDeps {
  connection: Pick<Connection, 'online'>;
  /** session.signOut's work. */
  signOut: () => Promise<unknown>;
}

export function tokenHandlers(d: TokenDeps): Pick<Handlers, 'tokens.list' | 'tokens.create' | 'tokens.revoke'> {
  return {
    'tokens.list': async ({ userId }) => {
      const client = d.connection.online();
      const [me, tokens] = await Promise.all([client.whoAmI(), client.tokens(userId !== undefined ? { userId } : undefined)]);
      return { tokens: tokens.map((t) => ({ ...t, current: t.id === me.token?.id })) };
    },
    'tokens.create': async ({ userId, ...body }) => d.connection.online().createToken(body, userId, randomUUID()),
    'tokens.revoke': async ({ id }) => {
      const client = d.connection.online();
      const me = await client.whoAmI();
      const token = await client.revokeToken(id, randomUUID());
      const signedOut = me.token?.id === id;
      if (signedOut) await d.signOut();
      return { token, signedOut };
    },
  };
}
