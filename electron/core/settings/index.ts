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
export { FileSecretStore, MemorySecretStore, chooseSecretStore, tokenPersistence } from './secret-store.ts';
export type { SafeStorageStatus } from './secret-store.ts';
