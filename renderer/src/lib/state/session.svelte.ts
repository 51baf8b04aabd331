// Who is signed in, to which server. Refreshed when the connection comes online (the core learns
// who "me" is from the server after connecting).
import { createSubscriber } from 'svelte/reactivity';
import type { Output } from '../../../../shared/ipc.ts';
import { call, on } from '../api.ts';
import { followCore } from '../clock.svelte.ts';

type Session = Output<'session.get'>;

export class SessionState {
  #session = $state.raw<Session | undefined>(undefined);
  #error = $state<string | undefined>(undefined);

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('connection.status', (s) => {
      if (s.state === 'online' && !this.#session?.user) void this.refresh();
    });
  });

  async refresh(): Promise<void> {
    try {
      this.#session = await call('session.get', {});
      followCore(this.#session.now);
      this.#error = undefined;
    } catch (err) {
      this.#error = (err as Error).message;
    }
  }

  get current(): Session | undefined {
    this.#subscribe();
    return this.#session;
  }
  get loadError(): string | undefined {
    this.#subscribe();
    return this.#error;
  }
  get user() {
    return this.current?.user;
  }
  get signedIn(): boolean {
    return this.current?.signedIn ?? false;
  }

  async signIn(serverUrl: string, token: string): Promise<void> {
    this.#session = await call('session.signIn', { serverUrl, token });
    followCore(this.#session.now);
  }
  async signOut(): Promise<void> {
    this.#session = await call('session.signOut', {});
    followCore(this.#session.now);
  }
}

export const session = new SessionState();
