// A throw-away PostgreSQL cluster for the tests, so a fresh machine and a contributor's laptop
// both run the PostgreSQL store without a server of their own: initdb in a temp directory, a free
// port on 127.0.0.1, the unix socket in that directory too (never /var/run/postgresql), fsync on
// (the durability tests measure it). Started once per test process on first use, stopped and
// deleted when the process exits, a crash included. Each test gets a database of its own.
//
// GATEHOUSE_TEST_STORE=postgres makes the server harness (test/server/harness.ts) give every data
// dir a fresh database on this cluster and pass --database to init, demo and serve.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

export const TEST_STORE_ENV = 'GATEHOUSE_TEST_STORE';

/** Which store the integration suites run on: 'sqlite' (default) or 'postgres'. */
export function testStore(): 'sqlite' | 'postgres' {
  const v = process.env[TEST_STORE_ENV] ?? 'sqlite';
  if (v !== 'sqlite' && v !== 'postgres') throw new Error(`${TEST_STORE_ENV} must be sqlite or postgres, got "${v}"`);
  return v;
}

/** For tests that only make sense on one store: pass as `{ skip: onlyOnSqlite('why') }`. */
export function onlyOnSqlite(why: string): string | false {
  return testStore() === 'postgres' ? `SQLite only: ${why}` : false;
}

/**
 * For tests of several processes on one database: pass as `{ skip: onlyOnPostgres() }`. They run
 * in the matrix's PostgreSQL lanes, and say why not elsewhere.
 */
export function onlyOnPostgres(why = ''): string | false {
  if (testStore() !== 'postgres') return `runs with ${TEST_STORE_ENV}=postgres (the PostgreSQL lanes of the matrix)${why ? `: ${why}` : ''}`;
  if (postgresBinDir() === undefined) return 'PostgreSQL is not installed (no initdb): apt-get install postgresql';
  return false;
}

/** The directory holding initdb and pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) {
    // Debian links /usr/local/bin/initdb (or a wrapper) to the real binary; pg_ctl sits beside it.
    const real = spawnSync('readlink', ['-f', which.stdout.trim()], { encoding: 'utf8' }).stdout.trim();
    return join(real, '..');
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** initdb refuses root: as root, the cluster runs as `postgres` if that user exists, else `nobody`. */
function runAsUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const uid = Number(r.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    return { name, uid, gid };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

export interface PgCluster {
  port: number;
  /** postgres://postgres@127.0.0.1:PORT/NAME */
  url(database: string): string;
  /** A new empty database; returns its URL. */
  createDatabase(): Promise<string>;
  /** pg_ctl stop -m fast, keeping the data: the outage tests' "the database went away". */
  pause(): void;
  /** Starts the paused cluster again on the same port. */
  resume(): void;
  stop(): void;
}

const SUPERUSER = 'postgres';

export async function startCluster(): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): apt-get install postgresql');
  const user = runAsUser();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(dir, 'data');
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const as = (cmd: string, args: string[]) =>
    user ? (['runuser', ['-u', user.name, '--', join(bin, cmd), ...args]] as const) : ([join(bin, cmd), args] as const);
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = as(cmd, args);
    return execFileSync(file, [...argv], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    const [file, argv] = as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    spawnSync(file, [...argv], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  // Synchronous, so it also runs on process.exit() and after an uncaught exception.
  process.on('exit', stop);
  try {
    // --no-sync only skips initdb's own flush of the template files (a throw-away cluster); the
    // server itself runs with fsync on.
    run('initdb', ['-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let port = 0;
    const pgStart = () =>
      run('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=300 -c shared_buffers=32MB`,
        'start',
      ]);
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        pgStart();
        break;
      } catch (err) {
        if (attempt >= 2) throw err;
      }
    }
    const url = (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
    let n = 0;
    return {
      port,
      url,
      async createDatabase() {
        const name = `gh_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}`;
        const client = new pg.Client({ connectionString: url('postgres') });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      pause: () => void run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']),
      resume: () => void pgStart(),
      stop,
    };
  } catch (err) {
    stop();
    const e = err as { stderr?: string; message: string };
    throw new Error(`could not start a throw-away PostgreSQL cluster: ${e.stderr || e.message}`);
  }
}

let shared: Promise<PgCluster> | undefined;

/** This process's cluster, started on first use. */
export function testCluster(): Promise<PgCluster> {
  shared ??= startCluster();
  return shared;
}

/** A fresh database on this process's cluster. */
export async function freshDatabase(): Promise<string> {
  return (await testCluster()).createDatabase();
}

/** On PostgreSQL (GATEHOUSE_TEST_STORE=postgres): the database of each data dir, made by its init or demo. */
const databases = new Map<string, string>();

/** The --database URL of this data dir, if the suites run on PostgreSQL and it has one (or, with `create`, a fresh one). */
export async function databaseOf(dir: string, create = false): Promise<string | undefined> {
  if (testStore() !== 'postgres') return undefined;
  const key = resolve(dir);
  let url = databases.get(key);
  if (url === undefined && create) {
    url = await freshDatabase();
    databases.set(key, url);
  }
  return url;
}
