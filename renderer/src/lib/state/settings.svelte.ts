// The app's settings (notifications, quiet hours, theme), and the theme applied to the document.
import { createSubscriber } from 'svelte/reactivity';
import type { AppSettings, SettingsPatch, Theme } from '../../../../shared/desktop/settings.ts';
import { call } from '../api.ts';

const THEME_KEY = 'gatehouse.theme';

export class SettingsState {
  #settings = $state.raw<AppSettings | undefined>(undefined);
  #saving = $state(false);
  #error = $state<string | undefined>(undefined);

  #subscribe = createSubscriber(() => {
    void this.refresh();
  });

  async refresh(): Promise<void> {
    try {
      this.#settings = await call('settings.get', {});
      applyTheme(this.#settings.theme);
    } catch (err) {
      this.#error = (err as Error).message;
    }
  }

  get current(): AppSettings | undefined {
    this.#subscribe();
    return this.#settings;
  }
  get saving(): boolean {
    return this.#saving;
  }
  get error(): string | undefined {
    return this.#error;
  }

  /** Saves a partial change; resolves when the core has validated and written it. */
  async update(patch: SettingsPatch): Promise<boolean> {
    this.#saving = true;
    try {
      this.#settings = await call('settings.update', patch);
      this.#error = undefined;
      applyTheme(this.#settings.theme);
      return true;
    } catch (err) {
      this.#error = (err as Error).message;
      return false;
    } finally {
      this.#saving = false;
    }
  }
}

/** `system` leaves it to prefers-color-scheme; remembered locally so the first paint is right. */
export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // storage unavailable: the setting still applies for this session
  }
}

/** Before the first paint: the theme last used, until settings.get answers. */
export function restoreTheme(): void {
  try {
    const t = localStorage.getItem(THEME_KEY);
    if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  } catch {
    // ignore
  }
}

export const settings = new SettingsState();
