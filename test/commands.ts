// How the suites start the `gatehouse` CLI: from source through tsx, or — when the pinned-instant
// matrix has bundled it once for all its lanes (GATEHOUSE_TEST_CLI) — from that bundle of the same
// source, which starts in a fraction of the time (tsx compiles every module at every start, and
// the suites start the CLI hundreds of times).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Node arguments that run `gatehouse`; append the command and its flags. */
export function gatehouseCli(): string[] {
  const bundle = process.env.GATEHOUSE_TEST_CLI;
  return bundle ? [resolve(ROOT, bundle)] : ['--import', 'tsx', resolve(ROOT, 'server/cli.ts')];
}
