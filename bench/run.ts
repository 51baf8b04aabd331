// `npm run bench [-- --json FILE] [-- --only NAME,…]`: runs the benchmarks one after another in a
// temp dir under os.tmpdir() (one disk for all), prints progress on stderr and a table of figures
// with their goals on stdout, and optionally writes every figure as JSON. A missed goal is a
// finding, not a failure (exit 0); an error in a benchmark is (exit 1).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { goalMet, type Benchmark, type Figure } from './helpers.ts';

/**
 * The benchmarks, in run order: each is bench/<name>.ts with a default-exported Benchmark.
 * Adding one is one line here. Later ones may read the figures of earlier ones
 * (decisions compares itself with sqlite-ceiling).
 */
const BENCHMARKS = [
  'sqlite-ceiling',
  'decisions',
  'pg',
  'sse',
  'reconnect',
  'list-requests',
  'engine',
  'outbox',
  'cache',
  'diff-viewer',
  'inbox-paint',
  'bootstrap',
  'risk',
  'notify',
];

const USAGE = `usage: npm run bench [-- [--json FILE] [--only NAME[,NAME…]]]

Runs the Gatehouse benchmarks and prints each figure with its goal.
  --json FILE   also write every figure as JSON: [{"name","value","unit","goal"}]
  --only NAMES  run only these benchmarks (comma-separated): ${BENCHMARKS.join(', ')}
  -h, --help    show this help`;

class UsageError extends Error {}

function parseCli(argv: string[]): { json?: string; only: string[] } | 'help' {
  const options = { json: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
  let values: ReturnType<typeof parseArgs<{ options: typeof options; strict: true; allowPositionals: false }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (values.help) return 'help';
  if (values.json !== undefined && (values.json.trim() === '' || values.json.startsWith('-')))
    throw new UsageError(`--json needs a file name, got "${values.json}"`);
  let only = BENCHMARKS;
  if (values.only !== undefined) {
    only = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = only.filter((n) => !BENCHMARKS.includes(n));
    if (only.length === 0 || unknown.length > 0)
      throw new UsageError(`--only: unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ') || '(none given)'}; known: ${BENCHMARKS.join(', ')}`);
    only = BENCHMARKS.filter((n) => only.includes(n)); // run order stays the registered one
  }
  // npm runs scripts in the package root; a relative --json is meant from where npm was called.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  if (values.json !== undefined) {
    const dir = dirname(resolve(cwd, values.json));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--json ${values.json}: directory ${dir} does not exist`);
  }
  return { ...(values.json !== undefined ? { json: resolve(cwd, values.json) } : {}), only };
}

async function load(name: string): Promise<Benchmark> {
  const mod = (await import(`./${name}.ts`)) as { default?: Benchmark };
  const b = mod.default;
  if (!b || typeof b.run !== 'function' || b.name !== name) throw new Error(`bench/${name}.ts must default-export a Benchmark named "${name}"`);
  return b;
}

const started = performance.now();
const stamp = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const progress = (line: string) => process.stderr.write(`${stamp()} ${line}\n`);

function formatValue(f: Figure): string {
  const abs = Math.abs(f.value);
  const text = abs >= 1000 ? Math.round(f.value).toLocaleString('en-US') : String(f.value);
  return `${text} ${f.unit}`;
}

function table(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const met = goalMet(f.value, f.goal);
    return [f.name, formatValue(f), f.goal ?? '—', met === null ? '—' : met ? 'yes' : 'NO'];
  });
  const header = ['figure', 'value', 'goal', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const withGoal = figures.filter((f) => f.goal !== null);
  const metCount = withGoal.filter((f) => goalMet(f.value, f.goal)).length;
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '', `${metCount} of ${withGoal.length} goals met`].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli === 'help') {
    console.log(USAGE);
    return 0;
  }
  const benchmarks = await Promise.all(cli.only.map(load));
  const root = mkdtempSync(join(os.tmpdir(), 'gatehouse-bench-'));
  const removeRoot = () => rmSync(root, { recursive: true, force: true });
  process.on('exit', removeRoot); // also on errors and interrupts (helpers.ts kills the servers first)
  progress(`gatehouse bench: node ${process.version}, ${os.cpus().length} CPUs, temp dir ${root}`);
  const figures: Figure[] = [];
  try {
    for (const b of benchmarks) {
      const dir = join(root, b.name);
      mkdirSync(dir);
      progress(`[${b.name}] start`);
      const t = performance.now();
      const out = await b.run({
        dir,
        log: (m) => progress(`[${b.name}] ${m}`),
        figure: (name) => figures.find((f) => f.name === name)?.value,
      });
      for (const f of out) {
        if (figures.some((g) => g.name === f.name)) throw new Error(`figure "${f.name}" reported twice`);
        if (!Number.isFinite(f.value)) throw new Error(`figure "${f.name}" is not a finite number: ${f.value}`);
        goalMet(f.value, f.goal); // an unparseable goal is a bug: throws
        figures.push(f);
        progress(`[${b.name}] ${f.name} = ${formatValue(f)}${f.goal ? ` (goal ${f.goal})` : ''}`);
      }
      progress(`[${b.name}] done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    removeRoot();
  }

  console.log(`\n${table(figures)}`);
  if (cli.json) {
    writeFileSync(cli.json, `${JSON.stringify(figures, null, 2)}\n`);
    progress(`figures written to ${cli.json}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
    else process.stderr.write(`${stamp()} bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
