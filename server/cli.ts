// The `gatehouse` command: dispatches to init, serve, demo, deploy, audit, policy and github
// (server/cli/). A UsageError is the user's mistake and prints as one line; anything else prints
// its stack. Both exit 1.
import { UsageError } from './cli/args.ts';
import { init } from './cli/init.ts';
import { serve } from './cli/serve.ts';
import { demo } from './cli/demo.ts';
import { deploy } from './cli/deploy.ts';
import { audit } from './cli/audit.ts';
import { policy } from './cli/policy.ts';
import { github } from './cli/github.ts';

const USAGE = `usage: gatehouse <command> [flags]

commands:
  init     create a database with an owner; prints the owner's token last
  serve    serve the HTTP API
  demo     fill a fresh data dir with a realistic demo organisation
  deploy   request a deployment (release.deploy) and optionally wait for the decision
  audit    verify an audit export offline (audit verify --file F --public-key F)
  policy   policies as code: export, apply -f FILE [--dry-run], test -f FILE --cases FILE
  github   the GitHub integration: status, links [--json], link OWNER/NAME --project P, unlink OWNER/NAME

Run "gatehouse <command> --help" for the flags of each.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { init, serve, demo, deploy, audit, policy, github };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`error: ${err.message}`);
    else console.error(`error: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
