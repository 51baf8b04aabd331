// The server's second, light entry: plain values for code that must not load the server itself.
// Electron's main process bundles the desktop's child-process backend launcher, which needs these
// two names; importing index.ts there would pull fastify and better-sqlite3 into Electron's Node
// (esbuild keeps the imports of external packages even when nothing from them is used).
// index.ts re-exports everything here.

/** The database file inside a data dir. */
export const DB_FILE = 'gatehouse.db';

/** The demo's release manager: the user `npm start` and `npm run web` sign in as. */
export const DEMO_RELEASE_MANAGER_EMAIL = 'rhea.manning@example.com';

/** The audit signing key (Ed25519, PEM) a data dir holds unless `serve --audit-key` names another file. */
export const AUDIT_KEY_FILE = 'audit-signing.key';
