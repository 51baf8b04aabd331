export {
  AppSettings,
  ClockTime,
  DiffPrefetchSettings,
  NotificationSettings,
  QuietHours,
  ServerUrl,
  SettingsPatch,
  THEMES,
  Theme,
  defaultSettings,
  describeIssues,
} from '../../../shared/desktop/settings.ts';
export type { AppSettingsInput } from '../../../shared/desktop/settings.ts';
export { SettingsError, SettingsStore } from './store.ts';
export type { SettingsProblem, SettingsStoreOptions } from './store.ts';
export { FileSecretStore } from './secret-store.ts';
