// settings.*: the console's preferences (validated by the store; a bad field is an invalid_input error).
import type { Handlers } from '../../../shared/ipc.ts';
import type { SettingsStore } from '../settings/index.ts';

export function settingsHandlers(settings: SettingsStore): Pick<Handlers, 'settings.get' | 'settings.update'> {
  return {
    'settings.get': async () => settings.current,
    'settings.update': async (patch) => settings.update(patch),
  };
}
