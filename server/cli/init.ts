import { z } from 'zod';
import { checkpointHead } from '../domain/checkpoints.ts';
import { createUser } from '../domain/directory.ts';
import { DEFAULT_REQUEST_TTL_MS } from '../domain/context.ts';
import { appliedValue } from '../domain/result.ts';
import { CLOCK_USAGE, clockOption, parseFlags, required, UsageError } from './args.ts';
import { createStore, DATABASE_USAGE, databaseOption } from './data-dir.ts';

export const INIT_USAGE = `usage: gatehouse init --data DIR --owner-email EMAIL [--owner-name NAME]
                      [--database postgres://USER@HOST:PORT/DB] [--clock INSTANT]

Creates a Gatehouse database in DIR with one owner, and prints the owner's API token as the
last line. Refuses a DIR that already holds a database. Also creates DIR/audit-signing.key (mode
0600), the key that signs the audit log's checkpoints: back it up apart from the database.
With --database, refuses a database that already holds an organisation.

${DATABASE_USAGE}

${CLOCK_USAGE}`;

export async function init(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv,
    { data: { type: 'string' }, 'owner-email': { type: 'string' }, 'owner-name': { type: 'string' }, clock: { type: 'string' }, database: { type: 'string' } },
    INIT_USAGE,
  );
  if (flags.help) return (void console.log(INIT_USAGE), 0);
  const dir = required(flags, 'data', INIT_USAGE);
  const email = required(flags, 'owner-email', INIT_USAGE);
  if (!z.email().safeParse(email).success) throw new UsageError(`--owner-email "${email}" is not an email address`);
  const name = flags['owner-name'] ?? email.split('@')[0]!;
  const { clock } = clockOption(flags.clock);
  const { store, auditKey } = await createStore(dir, databaseOption(flags.database));
  try {
    const ctx = { store, now: clock, requestTtlMs: DEFAULT_REQUEST_TTL_MS };
    // A fresh database has nobody to hold or refuse the first owner.
    const { user, token } = appliedValue(await store.transact((tx) => createUser(ctx, tx, 'system', { name, email, orgRole: 'owner' })))!;
    await checkpointHead(ctx, auditKey);
    console.log(`created Gatehouse database in ${dir} with owner ${user.name} <${user.email}> (${user.id})`);
    console.log('owner API token (shown once; keep it secret):');
    console.log(token);
    return 0;
  } finally {
    await store.close();
  }
}
