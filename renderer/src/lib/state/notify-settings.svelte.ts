// The organisation's notification settings (everyone reads them; owners and admins change them)
// and the signed-in user's email preferences, both from the server (online only). Loaded when the
// Settings screen opens and again when the connection comes back.
import { createSubscriber } from 'svelte/reactivity';
import type { NotifyEvent, OrgSettings, PatchSettingsBody, Preferences } from '../../../../shared/schemas/index.ts';
import { call, on } from '../api.ts';
import { isOffline, notifyError } from '../notify-words.ts';

export type Loaded<T> = { state: 'loading' } | { state: 'ready'; value: T } | { state: 'unavailable'; offline: boolean; message: string };

export class NotifySettingsState {
  #org = $state.raw<Loaded<OrgSettings>>({ state: 'loading' });
  #prefs = $state.raw<Loaded<Preferences>>({ state: 'loading' });

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('connection.status', (s) => {
      if (s.state !== 'online') return;
      if (this.#org.state === 'unavailable' || this.#prefs.state === 'unavailable') void this.refresh();
    });
  });

  get org(): Loaded<OrgSettings> {
    this.#subscribe();
    return this.#org;
  }
  get preferences(): Loaded<Preferences> {
    this.#subscribe();
    return this.#prefs;
  }

  async refresh(): Promise<void> {
    const fail = (err: unknown) => ({
      state: 'unavailable' as const,
      offline: isOffline(err),
      message: notifyError(err, 'Only owners and admins change these.'),
    });
    await Promise.all([
      call('orgSettings.get', {}).then(
        ({ settings }) => (this.#org = { state: 'ready', value: settings }),
        (err: unknown) => (this.#org = fail(err)),
      ),
      call('preferences.get', {}).then(
        ({ preferences }) => (this.#prefs = { state: 'ready', value: preferences }),
        (err: unknown) => (this.#prefs = fail(err)),
      ),
    ]);
  }

  /** Saves a change to the organisation's settings; throws the server's refusal, changing nothing here. */
  async updateOrg(patch: PatchSettingsBody): Promise<OrgSettings> {
    const { settings } = await call('orgSettings.update', patch);
    this.#org = { state: 'ready', value: settings };
    return settings;
  }

  /** Saves which events the signed-in user gets by email; throws the server's refusal. */
  async updateEmailEvents(events: NotifyEvent[]): Promise<Preferences> {
    const { preferences } = await call('preferences.update', { email: { events } });
    this.#prefs = { state: 'ready', value: preferences };
    return preferences;
  }
}

export const notifySettings = new NotifySettingsState();
