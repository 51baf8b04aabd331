// The pinned-instant matrix: the server, desktop and end-to-end suites at several instants, each
// chosen so that an expectation holding only at some hours fails here rather than at 3 a.m. in CI.
// Every lane pins GATEHOUSE_CLOCK (anchored when the lane starts, so each process of the lane
// reads the same time) and writes its own results; lanes run side by side.
//
//   node --import tsx test/matrix.ts [--lanes N] [--only NAME,NAME] [--suites server,desktop,e2e]
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build as bundle } from 'esbuild';
import { build } from 'vite';
import { CLOCK_ENV, formatClockPin, parseClockPin, systemClock } from '../shared/clock.ts';
import { SAME_AS_REAL_CLOCK_WHEN_PINNED } from './e2e/lane-env.ts';
import { TEST_STORE_ENV } from './postgres.ts';

interface Lane {
  name: string;
  /** The instant the lane's clock starts at; undefined: the machine's real clock. */
  at?: string;
  /** The machine time zone the lane's processes (and the browser) run in. */
  tz?: string;
  /** The store the lane's server and desktop suites run on (GATEHOUSE_TEST_STORE): both stores run in every matrix run, at no extra time. */
  store: 'sqlite' | 'postgres';
  why: string;
}

export const LANES: readonly Lane[] = [
  { name: 'real-clock', store: 'sqlite', why: 'the machine clock, whatever hour this is' },
  { name: 'istanbul-business-hours', at: '2026-12-02T10:30:00+03:00', store: 'sqlite', why: 'a Wednesday inside business hours in Istanbul' },
  { name: 'istanbul-0300', at: '2026-12-03T03:00:00+03:00', store: 'postgres', why: 'a Thursday at 03:00 in Istanbul (off-hours)' },
  { name: 'saturday', at: '2026-12-05T14:00:00+03:00', store: 'postgres', why: 'a Saturday afternoon (weekend)' },
  // America/Los_Angeles springs forward at 2026-03-08T10:00Z and falls back at 2026-11-01T09:00Z:
  // each lane starts two minutes before its change, in that zone, and runs across it.
  { name: 'la-dst-start', at: '2026-03-08T01:58:00-08:00', tz: 'America/Los_Angeles', store: 'sqlite', why: 'across the spring-forward change in Los Angeles' },
  { name: 'la-dst-end', at: '2026-11-01T01:58:00-07:00', tz: 'America/Los_Angeles', store: 'postgres', why: 'across the fall-back change in Los Angeles' },
];

const SUITES = ['server', 'desktop', 'e2e'] as const;
type Suite = (typeof SUITES)[number];

const RESULTS = join('test-results', 'matrix');
/** The `gatehouse` CLI bundled once for every lane (test/commands.ts): the same source, started without tsx. */
const CLI_BUNDLE = join('out', 'test', 'gatehouse-cli.mjs');
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

const storeOf = (lane: Lane, suite: Suite) => (suite === 'e2e' ? 'sqlite' : lane.store);

function runSuite(lane: Lane, suite: Suite, dir: string): Promise<{ ok: boolean; ms: number; log: string }> {
  const log = join(dir, `${suite}.log`);
  const out = createWriteStream(log);
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_TEST_RESULTS: dir, GATEHOUSE_RENDERER_BUILT: '1', GATEHOUSE_TEST_CLI: CLI_BUNDLE };
  delete env[CLOCK_ENV];
  if (lane.at) env[CLOCK_ENV] = formatClockPin({ at: parseClockPin(lane.at).at, anchorMs: systemClock().getTime() });
  if (lane.tz) env.TZ = env.GATEHOUSE_TEST_TZ = lane.tz;
  // The end-to-end suite stays on SQLite in every lane (its servers are the web mode's own).
  env[TEST_STORE_ENV] = storeOf(lane, suite);
  // An e2e test that pins its own instant ignores the lane's; without a zone of its own the lane
  // would run it exactly as the real-clock lane does (test/e2e/fixtures.ts skips it there).
  if (lane.at && !lane.tz) env[SAME_AS_REAL_CLOCK_WHEN_PINNED] = '1';
  else delete env[SAME_AS_REAL_CLOCK_WHEN_PINNED];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', `test:${suite}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('close', (code) => out.end(() => resolve({ ok: code === 0, ms: performance.now() - started, log })));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { lanes: { type: 'string' }, only: { type: 'string' }, suites: { type: 'string' } }, strict: true });
  const parallel = Number(values.lanes ?? process.env.GATEHOUSE_MATRIX_LANES ?? 3);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 8) throw new Error(`--lanes must be a whole number from 1 to 8, got "${values.lanes}"`);
  const only = values.only?.split(',');
  const lanes = only ? LANES.filter((l) => only.includes(l.name)) : [...LANES];
  if (only && lanes.length !== only.length) throw new Error(`--only: unknown lane in "${values.only}"; lanes are ${LANES.map((l) => l.name).join(', ')}`);
  const suites = (values.suites?.split(',') ?? [...SUITES]) as Suite[];
  for (const s of suites) if (!SUITES.includes(s)) throw new Error(`--suites: unknown suite "${s}"; suites are ${SUITES.join(', ')}`);

  const started = performance.now();
  await bundle({
    entryPoints: ['server/cli.ts'],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  if (suites.includes('e2e')) {
    // Built once for every lane (the lanes' Playwright runs skip their own build).
    await build({ configFile: 'renderer/vite.config.ts', logLevel: 'warn' });
  }
  console.log(`matrix: ${lanes.length} lanes × ${suites.join(' + ')}, ${parallel} at a time`);
  const failures: { lane: Lane; suite: Suite; log: string }[] = [];
  const queue = [...lanes];
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      const dir = join(RESULTS, lane.name);
      mkdirSync(dir, { recursive: true });
      for (const suite of suites) {
        const r = await runSuite(lane, suite, dir);
        console.log(
          `matrix: ${lane.name.padEnd(24)} ${suite.padEnd(8)} ${storeOf(lane, suite).padEnd(8)} ${r.ok ? 'passed' : 'FAILED'} in ${seconds(r.ms)}  (${lane.at ?? 'real clock'}${lane.tz ? `, TZ=${lane.tz}` : ''}: ${lane.why})`,
        );
        if (!r.ok) failures.push({ lane, suite, log: r.log });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, lanes.length) }, worker));

  for (const f of failures) {
    const lines = readFileSync(f.log, 'utf8').split('\n');
    console.log(`\n==== ${f.lane.name} / ${f.suite} failed (${f.log}), last 120 lines ====\n${lines.slice(-120).join('\n')}`);
  }
  console.log(`matrix: ${failures.length === 0 ? 'all passed' : `${failures.length} failed`} in ${seconds(performance.now() - started)}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`matrix: ${(err as Error).message}`);
    process.exit(1);
  },
);
