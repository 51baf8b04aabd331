// Without --server, the app runs its own backend in-process: a demo organisation created on first
// run in the data dir, served on a free loopback port, signed in as the demo release manager.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../shared/clock.ts';
import {
  AUDIT_KEY_FILE,
  DB_FILE,
  DEFAULT_REQUEST_TTL_MS,
  DEMO_RELEASE_MANAGER_EMAIL,
  buildApp,
  buildDemo,
  createPrivateFile,
  openAuditKey,
  openSqliteStore,
  secureDataDir,
} from '../../server/index.ts';
import { TOKEN_FILE, type EmbeddedBackend } from './embedded-backend-child.ts';

export type { EmbeddedBackend };

export async function startEmbeddedBackend(
  dataDir: string,
  log: (line: string) => void = () => undefined,
  clock: Clock = systemClock,
): Promise<EmbeddedBackend> {
  const dir = join(dataDir, 'backend');
  // 0700 and its files 0600, like a server's data directory (the database holds demo tokens' hashes).
  secureDataDir(dir, (m) => log(`warning: ${m}`));
  const tokenFile = join(dir, TOKEN_FILE);
  createPrivateFile(join(dir, DB_FILE));
  const { key: auditKey } = openAuditKey(join(dir, AUDIT_KEY_FILE));
  const store = openSqliteStore(join(dir, DB_FILE), { auditKey });
  if (!(await store.isInitialized())) {
    log(`creating the demo organisation in ${dir}`);
    const users = await buildDemo({ store, now: clock, requestTtlMs: DEFAULT_REQUEST_TTL_MS });
    const rm = users.find((u) => u.email === DEMO_RELEASE_MANAGER_EMAIL)!;
    writeFileSync(tokenFile, `${rm.token}\n`, { mode: 0o600 });
  }
  if (!existsSync(tokenFile)) {
    await store.close();
    throw new Error(`${tokenFile} is missing: remove ${dir} to recreate the demo backend`);
  }
  const token = readFileSync(tokenFile, 'utf8').trim();
  const app = await buildApp({ store, auditKey, now: clock, logLevel: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  log(`embedded backend listening on ${url}`);
  return {
    url,
    token,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
