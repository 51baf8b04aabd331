// The desktop's offline cache (sql.js): see cache.ts.
export { Cache, loadSqlJs } from './cache.ts';
export type { CacheOptions, OpenResult, SaveInfo, EntityTypes, CachedDiff, MissingDiff } from './cache.ts';
export type { InboxCounts, InboxPage } from './inbox-index.ts';
