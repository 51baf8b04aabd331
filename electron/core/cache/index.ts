// The desktop's offline cache (sql.js): see cache.ts.
export { Cache, loadSqlJs } from './cache.ts';
export type { CacheOptions, OpenResult, SaveInfo, EntityTypes, InboxQuery, InboxResult, CachedDiff, MissingDiff } from './cache.ts';
export type { InboxCounts } from './inbox-index.ts';
export { DEFAULT_INBOX_LIMIT, MAX_INBOX_LIMIT } from './inbox-index.ts';
export type { PersistIo } from './persist.ts';
