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
