import { DEFAULT_REQUEST_TTL_MS } from '../domain/context.ts';
import { buildDemo } from '../demo/org.ts';
import { parseFlags, required } from './args.ts';
import { createStore } from './data-dir.ts';

export const DEMO_USAGE = `usage: gatehouse demo --data DIR

Fills a fresh DIR with a demo organisation (owners, admins, SREs, security, developers, a
release manager, a break-glass holder; three projects with dev/staging/production; the policy
examples of seed 001; a dozen pending requests with realistic diffs) and prints one line per
demo user: <email> <orgRole> <token>.`;

export async function demo(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { data: { type: 'string' } }, DEMO_USAGE);
  if (flags.help) return void console.log(DEMO_USAGE), 0;
  const store = await createStore(required(flags, 'data', DEMO_USAGE));
  try {
    const users = await buildDemo({ store, now: () => new Date(), requestTtlMs: DEFAULT_REQUEST_TTL_MS });
    for (const u of users) console.log(`${u.email} ${u.orgRole} ${u.token}`);
    return 0;
  } finally {
    await store.close();
  }
}
