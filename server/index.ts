// The server's public entry: everything outside server/ that starts or embeds a backend (web
// mode, the desktop's embedded demo backend) imports from here and nowhere else in server/.
// constants.ts is the light second entry for code that must not load the server (see there).
export { AUDIT_KEY_FILE, DB_FILE, DEMO_RELEASE_MANAGER_EMAIL } from './constants.ts';
export { openAuditKey, type AuditKey } from './audit/checkpoint.ts';
export { buildApp, type AppOptions } from './http/app.ts';
export { DEFAULT_RATE_LIMITS } from './http/rate-limits.ts';
export { openSqliteStore, type SqliteStore } from './store/sqlite.ts';
export { buildDemo, type DemoUser } from './demo/org.ts';
export { DEFAULT_REQUEST_TTL_MS } from './domain/context.ts';
export { CLOCK_USAGE, clockOption, parseFlags, parsePort, resolveToken, TOKEN_ENV, TOKEN_USAGE, UsageError } from './cli/args.ts';
export { createPrivateFile, secureDataDir } from './cli/data-dir.ts';
