import { DEFAULT_REQUEST_TTL_MS } from '../domain/context.ts';
import { buildDemo } from '../demo/org.ts';
import { checkpointHead } from '../domain/checkpoints.ts';
import { CLOCK_USAGE, clockOption, parseFlags, required } from './args.ts';
import { createStore, DATABASE_USAGE, databaseOption } from './data-dir.ts';

export const DEMO_USAGE = `usage: gatehouse demo --data DIR [--database postgres://USER@HOST:PORT/DB] [--clock INSTANT]

Fills a fresh DIR with a demo organisation (owners, admins, SREs, security, developers, a
release manager, a break-glass holder; three projects with dev/staging/production; policies
gating production, off-hours changes, cluster operations and credential issue; a dozen pending
requests with realistic diffs) and prints one line per demo user: <email> <orgRole> <token>.
The demo's history ends at the clock's now. DIR/audit-signing.key (mode 0600) signs the audit
log's checkpoints.

${DATABASE_USAGE}

${CLOCK_USAGE}`;

export async function demo(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { data: { type: 'string' }, clock: { type: 'string' }, database: { type: 'string' } }, DEMO_USAGE);
  if (flags.help) return (void console.log(DEMO_USAGE), 0);
  const dir = required(flags, 'data', DEMO_USAGE);
  const { clock } = clockOption(flags.clock);
  const { store, auditKey } = await createStore(dir, databaseOption(flags.database));
  try {
    const ctx = { store, now: clock, requestTtlMs: DEFAULT_REQUEST_TTL_MS };
    const users = await buildDemo(ctx);
    await checkpointHead(ctx, auditKey);
    for (const u of users) console.log(`${u.email} ${u.orgRole} ${u.token}`);
    return 0;
  } finally {
    await store.close();
  }
}
