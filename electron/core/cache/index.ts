// The desktop's offline cache (sql.js): see cache.ts.
export { Cache } from './cache.ts';
export type { CacheOptions, OpenResult } from './cache.ts';
export { loadSqlJs } from './open.ts';
export type { SaveInfo } from './save-scheduler.ts';
export type { CachedDiff, MissingDiff } from './diffs.ts';
export type { InboxCounts, InboxPage } from './inbox-index.ts';
