// SettingsStore: the settings file, read once at startup and rewritten atomically on every change.
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { writeFileAtomic, fsyncDir } from '../atomic-write.ts';
import { AppSettings, type AppSettingsInput, SettingsPatch, ServerUrl, defaultSettings, describeIssues, mergePatch } from '../../../shared/desktop/settings.ts';
import { systemClock } from '../../../shared/clock.ts';

/** A bad settings value: `field` is the dotted path ("notifications.quietHours.start"). */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  readonly field: string;
  readonly issues: { field: string; message: string }[];
  constructor(issues: { field: string; message: string }[], prefix = 'invalid settings') {
    super(`${prefix}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.issues = issues;
    this.field = issues[0]?.field ?? '(root)';
  }
}

/** Why the settings file could not be used; the file was moved aside and defaults are in use. */
export interface SettingsProblem {
  file: string;
  /** Where the unusable file now is: `<file>.invalid-<timestamp>`. */
  movedTo: string;
  /** "…settings.json is invalid: theme: Invalid option: expected one of …" */
  message: string;
  issues: { field: string; message: string }[];
}

export interface SettingsStoreOptions {
  /** For the timestamp of `<file>.invalid-<ts>`; defaults to the system clock. */
  now?: () => Date;
}

type Listener = (settings: AppSettings) => void;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** `2026-11-23T06-25-09-123Z`: sortable, and legal in file names on every OS. */
function fileTimestamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

export class SettingsStore {
  readonly file: string;
  /** Set when open() found an unusable file (moved aside, defaults in use); show it to the user. */
  readonly problem: SettingsProblem | undefined;
  #current: AppSettings;
  #queue: Promise<unknown> = Promise.resolve();
  #listeners = new Set<Listener>();

  private constructor(file: string, settings: AppSettings, problem: SettingsProblem | undefined) {
    this.file = file;
    this.#current = deepFreeze(settings);
    this.problem = problem;
  }

  /**
   * Reads the settings file. Missing → defaults (nothing is written until the first update).
   * Not JSON or not valid → the file is renamed to `<file>.invalid-<ts>`, defaults are used and
   * `problem` says what was wrong, naming the field. Other read errors (permissions) are thrown.
   * Unknown keys in the file (from a newer version) are ignored and dropped at the next update.
   */
  static async open(file: string, options: SettingsStoreOptions = {}): Promise<SettingsStore> {
    const now = options.now ?? systemClock;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SettingsStore(file, defaultSettings(), undefined);
      throw err;
    }

    let issues: { field: string; message: string }[];
    let message: string;
    try {
      const parsed = AppSettings.safeParse(JSON.parse(text));
      if (parsed.success) return new SettingsStore(file, parsed.data, undefined);
      issues = describeIssues(parsed.error);
      message = `settings file ${file} is invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      issues = [{ field: '(root)', message: `not valid JSON (${detail})` }];
      message = `settings file ${file} is not valid JSON: ${detail}`;
    }

    const movedTo = `${file}.invalid-${fileTimestamp(now())}`;
    await rename(file, movedTo);
    await fsyncDir(path.dirname(file));
    return new SettingsStore(file, defaultSettings(), {
      file,
      movedTo,
      message: `${message}. It was moved to ${movedTo} and the default settings are in use.`,
      issues,
    });
  }

  /** The settings in effect (deeply frozen; replaced wholesale on every update). */
  get current(): AppSettings {
    return this.#current;
  }

  /**
   * Validates the patch (unknown or bad fields → SettingsError naming the field, nothing changed),
   * deep-merges it, writes the file atomically, and only then makes it current. Updates are
   * applied one at a time, in call order.
   */
  update(patch: SettingsPatch | Readonly<Record<string, unknown>>): Promise<AppSettings> {
    const run = this.#queue.then(() => this.#apply(patch));
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * The server the stored token belongs to: set by signing in (after the server accepted the
   * token), cleared by signing out. Not reachable through `update` (the page's settings.update).
   */
  setServerUrl(url: string | null): Promise<AppSettings> {
    const run = this.#queue.then(() => {
      if (url === null) {
        const { serverUrl: _dropped, ...rest } = this.#current;
        return this.#save(rest);
      }
      const parsed = ServerUrl.safeParse(url);
      if (!parsed.success) throw new SettingsError(describeIssues(parsed.error).map((i) => ({ ...i, field: 'serverUrl' })));
      return this.#save({ ...this.#current, serverUrl: parsed.data });
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Called after every successful update; returns an unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #apply(patch: unknown): Promise<AppSettings> {
    const p = SettingsPatch.safeParse(patch);
    if (!p.success) throw new SettingsError(describeIssues(p.error));
    return this.#save(mergePatch(this.#current, p.data));
  }

  async #save(input: AppSettingsInput): Promise<AppSettings> {
    const merged = AppSettings.safeParse(input);
    if (!merged.success) throw new SettingsError(describeIssues(merged.error as z.ZodError));
    const next = deepFreeze(merged.data);
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    this.#current = next;
    for (const l of this.#listeners) {
      try {
        l(next);
      } catch {
        // A listener's failure must not turn a saved update into an error.
      }
    }
    return next;
  }
}
