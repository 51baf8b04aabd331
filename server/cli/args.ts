import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CLOCK_ENV, ClockSpecError, resolveClock } from '../../shared/clock.ts';

/** A user mistake on the command line: printed as `error: …` with exit code 1, no stack. */
export class UsageError extends Error {}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n\n${usage}`);
  }
}

export function required(values: Record<string, unknown>, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required\n\n${usage}`);
  return v;
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`--port must be a number from 0 to 65535, got "${text}"`);
  return n;
}

/** "90s", "15m", "36h", "7d" or plain seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} must be a duration like 90s, 15m, 36h or 7d, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new UsageError(`${flag} must be positive`);
  return ms;
}

/** `--clock` (or GATEHOUSE_CLOCK): a pinned clock for tests and demos; the machine's otherwise. */
export function clockOption(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof resolveClock> {
  try {
    return resolveClock(flag, env[CLOCK_ENV]);
  } catch (err) {
    if (err instanceof ClockSpecError) throw new UsageError(err.message);
    throw err;
  }
}

export const CLOCK_USAGE = `--clock INSTANT pins the clock for tests and demos: it starts at INSTANT (ISO-8601 with an
offset, e.g. 2026-03-09T10:30:00+03:00) and runs on from there. GATEHOUSE_CLOCK does the same.
Never set either in production.`;

/** The environment variable a CLI command reads its API token from. */
export const TOKEN_ENV = 'GATEHOUSE_TOKEN';

export const TOKEN_USAGE = `The API token comes from --token-file FILE (its first line), or GATEHOUSE_TOKEN. --token T also
works but puts the secret in the process's arguments, where other users of the machine can read it.`;

/**
 * The API token for a client command: --token-file, then GATEHOUSE_TOKEN, then --token (which
 * warns on stderr: process arguments are visible to every user of the machine). Secrets read
 * from a file or the environment never appear in `ps`.
 */
export function resolveToken(
  flags: { token?: string | undefined; 'token-file'?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = (line) => console.error(line),
  read: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): string {
  if (flags.token !== undefined && flags['token-file'] !== undefined) throw new UsageError('give --token-file or --token, not both');
  const file = flags['token-file'];
  if (file !== undefined) {
    if (file.trim() === '') throw new UsageError('--token-file needs a file name');
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
      throw new UsageError(`cannot read --token-file ${file}: ${why}`);
    }
    return checkToken(text.split(/\r?\n/, 1)[0]!.trim(), `--token-file ${file}`);
  }
  if (flags.token !== undefined) {
    warn("warning: --token puts the secret in this process's arguments, visible to other users of this machine; use --token-file FILE or GATEHOUSE_TOKEN");
    return checkToken(flags.token.trim(), '--token');
  }
  const fromEnv = env[TOKEN_ENV];
  if (fromEnv !== undefined) return checkToken(fromEnv.trim(), TOKEN_ENV);
  throw new UsageError(`an API token is required: --token-file FILE or ${TOKEN_ENV} (or --token)`);
}

function checkToken(token: string, where: string): string {
  if (token === '') throw new UsageError(`${where} is empty`);
  if (/\s/.test(token) || token.length > 512) throw new UsageError(`${where} does not hold a token (one line, no spaces, at most 512 characters)`);
  return token;
}
