// What the CLI's subcommand-style client commands (policy, github) share: the flags that reach a
// server, the server's refusal in full, and one mapping of failures to exit codes (0 done; 1 the
// server refused or could not be reached; 2 the user's input: flags, files, names).
import { serverUrlProblem } from '../../shared/transport.ts';
import { Api, type ApiError, ServerTalkError } from './api-client.ts';
import { required, resolveToken, UsageError } from './args.ts';

export const CLIENT_FLAGS = {
  server: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
} as const;

export type ClientFlags = {
  server?: string | undefined;
  token?: string | undefined;
  'token-file'?: string | undefined;
  'allow-insecure-http'?: boolean | undefined;
};

/** The API client for --server and the token (--token-file, GATEHOUSE_TOKEN or --token), both checked. */
export function client(flags: ClientFlags, usage: string): Api {
  const server = required(flags, 'server', usage);
  const problem = serverUrlProblem(server, { allowInsecureHttp: flags['allow-insecure-http'] === true });
  if (problem) throw new UsageError(`--server: ${problem}`);
  return new Api(server, resolveToken(flags));
}

/** A server's refusal, in full: its message and each detail (a rule's error with its position). */
export class ServerRefused extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message);
  }
  lines(): string[] {
    const details = Array.isArray(this.error.details) ? (this.error.details as unknown[]) : [];
    const lines = details.flatMap((d) => {
      const x = d as { rule?: unknown; message?: unknown; position?: unknown; path?: unknown };
      if (typeof x.rule === 'string')
        return [`  rule "${x.rule}": ${String(x.message)}${typeof x.position === 'number' ? ` (at position ${x.position})` : ''}`];
      // A validation refusal's message already lists its issues: each is said once.
      if (typeof x.message === 'string' && this.error.message.includes(x.message)) return [];
      return [`  ${Array.isArray(x.path) ? `${x.path.join('.')}: ` : ''}${String(x.message ?? JSON.stringify(d))}`];
    });
    return [`${this.error.message} (HTTP ${this.status} ${this.error.code})`, ...lines];
  }
}

/** The answer's data, or its refusal thrown as a ServerRefused. */
export async function get<T>(r: Promise<{ status: number; data?: T; error?: ApiError }>): Promise<T> {
  const res = await r;
  if (res.data === undefined) throw new ServerRefused(res.status, res.error ?? { code: 'http_error', message: `HTTP ${res.status}` });
  return res.data;
}

/**
 * Runs `gatehouse <command> <sub> …`: no subcommand prints the usage (exit 2), --help exits 0, and
 * a failure prints one `error:` line (no stack) with its exit code.
 */
export async function runSubcommand(
  command: string,
  subcommands: Record<string, (argv: string[]) => Promise<number>>,
  usage: string,
  argv: string[],
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(usage);
    return sub === undefined ? 2 : 0;
  }
  try {
    const run = subcommands[sub];
    if (!run) throw new UsageError(`unknown ${command} command "${sub}"\n\n${usage}`);
    return await run(rest);
  } catch (err) {
    if (err instanceof ServerRefused) {
      console.error(`error: ${err.lines().join('\n')}`);
      return 1;
    }
    // The user's input (flags, files, names): 2. The server unreachable or talking nonsense: 1.
    if (err instanceof UsageError && !(err instanceof ServerTalkError)) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    if (err instanceof ServerTalkError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
