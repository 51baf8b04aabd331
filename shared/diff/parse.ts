// Unified / git diff text → files, hunks and numbered lines. Diffs are untrusted input: the parser
// is one linear pass (no regex with backtracking over whole lines, no recursion), never throws, and
// reports what it could not understand as warnings. Also: a size check that refuses pathological
// input before anything allocates per line, and computeDiff (jsdiff, always bounded).
import { createTwoFilesPatch } from 'diff';

export type LineKind = 'add' | 'del' | 'ctx' | 'meta';

export interface DiffLine {
  kind: LineKind;
  /** Line number in the old file (del, ctx), else null. */
  oldNo: number | null;
  /** Line number in the new file (add, ctx), else null. */
  newNo: number | null;
  /** The line without its +/-/space prefix (and without a trailing CR). */
  text: string;
}

export interface Hunk {
  /** The `@@ -a,b +c,d @@ section` line as written. */
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export type FileStatus = 'added' | 'deleted' | 'modified' | 'renamed';

export interface DiffFile {
  oldPath: string;
  newPath: string;
  status: FileStatus;
  binary: boolean;
  /** The text was not a diff at all and is shown as plain lines. */
  plain: boolean;
  added: number;
  removed: number;
  hunks: Hunk[];
  /** git extended header lines (index, mode, similarity…), for display. */
  meta: string[];
}

export interface ParseResult {
  files: DiffFile[];
  added: number;
  removed: number;
  /** Lines of input. */
  lines: number;
  warnings: string[];
}

const MAX_WARNINGS = 20;
/**
 * Lines longer than this are rendered as a window around their change (intraline.ts), with explicit
 * expanders for the rest; the text itself is kept whole, so nothing that changed is ever cut off.
 */
export const MAX_LINE_CHARS = 10_000;

// ---- size guard ----------------------------------------------------------------------------------

export const LIMITS = {
  maxBytes: 50 * 1024 * 1024,
  maxLines: 500_000,
  maxLineChars: 1024 * 1024,
};

export interface DiffStats {
  chars: number;
  lines: number;
  longestLine: number;
  files: number;
  added: number;
  removed: number;
}

export type SizeVerdict = { tooLarge: false; stats: DiffStats } | { tooLarge: true; reason: string; stats: DiffStats };

/**
 * One scan over the text with indexOf (no per-line strings): counts lines, files, +/- lines and the
 * longest line, and says whether the diff is too large to display.
 */
export function assessSize(text: string, limits = LIMITS): SizeVerdict {
  const stats: DiffStats = { chars: text.length, lines: 0, longestLine: 0, files: 0, added: 0, removed: 0 };
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = n;
    const len = end - pos;
    if (len > stats.longestLine) stats.longestLine = len;
    const c = text.charCodeAt(pos);
    if (c === 43 /* + */) {
      if (!text.startsWith('+++ ', pos)) stats.added++;
    } else if (c === 45 /* - */) {
      if (!text.startsWith('--- ', pos)) stats.removed++;
    } else if (c === 100 /* d */ && text.startsWith('diff --git ', pos)) stats.files++;
    stats.lines++;
    pos = end + 1;
  }
  // approximate: UTF-16 code units, i.e. bytes for ASCII text
  if (n > limits.maxBytes) return { tooLarge: true, reason: `The diff is ${formatBytes(n)}; the limit is ${formatBytes(limits.maxBytes)}.`, stats };
  if (stats.lines > limits.maxLines)
    return { tooLarge: true, reason: `The diff has ${commas(stats.lines)} lines; the limit is ${commas(limits.maxLines)}.`, stats };
  if (stats.longestLine > limits.maxLineChars)
    return { tooLarge: true, reason: `One line is ${formatBytes(stats.longestLine)} long; the limit is ${formatBytes(limits.maxLineChars)} per line.`, stats };
  return { tooLarge: false, stats };
}

/** 1234567 → "1,234,567" (toLocaleString costs milliseconds on its first call: it loads ICU data). */
export function commas(n: number): string {
  const s = String(Math.trunc(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MB`;
}

// ---- parser --------------------------------------------------------------------------------------

/** `"a/with \"quote\""` → `a/with "quote"`; unquoted input is returned trimmed. */
function unquote(s: string): string {
  s = s.trim();
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return s;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const ch = s[i]!;
    if (ch !== '\\' || i + 1 >= s.length - 1) {
      out += ch;
      continue;
    }
    const next = s[++i]!;
    if (next === 'n') out += '\n';
    else if (next === 't') out += '\t';
    else if (next >= '0' && next <= '7') {
      // octal byte escapes (git quotes non-ASCII this way); kept as Latin-1 code points
      let oct = next;
      while (oct.length < 3 && i + 1 < s.length - 1 && s[i + 1]! >= '0' && s[i + 1]! <= '7') oct += s[++i];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
    } else out += next;
  }
  return out;
}

/** Strips git's a/ b/ prefixes; /dev/null stays as is. */
function stripPrefix(p: string): string {
  if (p === '/dev/null') return p;
  if (p.startsWith('a/') || p.startsWith('b/')) return p.slice(2);
  return p;
}

/** The path of a `--- ` / `+++ ` line: up to a tab (timestamps follow tabs). */
function headerPath(rest: string): string {
  const raw = rest.startsWith('"') ? rest : rest.split('\t')[0]!;
  return stripPrefix(unquote(raw));
}

/** `a/x b/x` of `diff --git a/x b/x`: exact when both sides are equal or quoted, else a best guess. */
function gitPaths(rest: string): [string, string] {
  rest = rest.trim();
  if (rest.startsWith('"')) {
    let i = 1;
    while (i < rest.length && !(rest[i] === '"' && rest[i - 1] !== '\\')) i++;
    return [stripPrefix(unquote(rest.slice(0, i + 1))), stripPrefix(unquote(rest.slice(i + 1)))];
  }
  // equal halves ("a/p b/p"): the common case, and the only unambiguous one with spaces in paths
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ' && rest.slice(2, half) === rest.slice(half + 3)) {
    return [stripPrefix(rest.slice(0, half)), stripPrefix(rest.slice(half + 1))];
  }
  const sp = rest.indexOf(' b/');
  if (sp !== -1) return [stripPrefix(rest.slice(0, sp)), stripPrefix(rest.slice(sp + 1))];
  const parts = rest.split(' ');
  return [stripPrefix(parts[0] ?? ''), stripPrefix(parts[parts.length - 1] ?? '')];
}

/** `@@ -a[,b] +c[,d] @@…` → numbers, or null when it isn't one (hand-scanned: no regex on long lines). */
export function parseHunkHeader(line: string): { oldStart: number; oldLines: number; newStart: number; newLines: number } | null {
  if (!line.startsWith('@@ -')) return null;
  let i = 4;
  const num = (): number | null => {
    const start = i;
    while (i < line.length && i - start < 10 && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
    return i > start ? Number(line.slice(start, i)) : null;
  };
  const oldStart = num();
  if (oldStart === null) return null;
  let oldLines = 1;
  if (line[i] === ',') {
    i++;
    const v = num();
    if (v === null) return null;
    oldLines = v;
  }
  if (line[i] !== ' ' || line[i + 1] !== '+') return null;
  i += 2;
  const newStart = num();
  if (newStart === null) return null;
  let newLines = 1;
  if (line[i] === ',') {
    i++;
    const v = num();
    if (v === null) return null;
    newLines = v;
  }
  if (!line.startsWith(' @@', i)) return null;
  return { oldStart, oldLines, newStart, newLines };
}

function newFile(oldPath: string, newPath: string): DiffFile {
  return { oldPath, newPath, status: 'modified', binary: false, plain: false, added: 0, removed: 0, hunks: [], meta: [] };
}

function clip(text: string): string {
  if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
  return text;
}

/**
 * An incremental parser: `step(n)` consumes up to n more lines and says whether it is done, so a
 * UI can parse a large diff in slices between frames. `parseDiff` runs it to the end.
 */
export class DiffParser {
  readonly #text: string;
  #pos = 0;
  #lineNo = 0;
  #files: DiffFile[] = [];
  #warnings: string[] = [];
  #file: DiffFile | null = null;
  #hunk: Hunk | null = null;
  #oldLeft = 0;
  #newLeft = 0;
  #oldNo = 0;
  #newNo = 0;
  /** Inside a `GIT binary patch` block: skip until a blank line. */
  #inBinaryPatch = false;
  /** The current file came from `diff --git` and has not seen its ---/+++ yet. */
  #gitHeader = false;
  #sawHeaders = false;
  #plainLines: string[] = [];
  #done = false;

  constructor(text: string) {
    this.#text = typeof text === 'string' ? text : '';
  }

  get progress(): number {
    return this.#text.length === 0 ? 1 : Math.min(1, this.#pos / this.#text.length);
  }

  step(maxLines = Infinity): boolean {
    if (this.#done) return true;
    const text = this.#text;
    const n = text.length;
    let budget = maxLines;
    while (this.#pos < n && budget-- > 0) {
      let end = text.indexOf('\n', this.#pos);
      if (end === -1) end = n;
      const line = text.slice(this.#pos, end);
      this.#pos = end + 1;
      this.#lineNo++;
      try {
        this.#line(line);
      } catch (err) {
        // a bug must not take the viewer down with untrusted input: note it and go on
        this.#warn(`line ${this.#lineNo}: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    if (this.#pos >= n) {
      this.#finish();
      this.#done = true;
    }
    return this.#done;
  }

  result(): ParseResult {
    let added = 0;
    let removed = 0;
    for (const f of this.#files) {
      added += f.added;
      removed += f.removed;
    }
    return { files: this.#files, added, removed, lines: this.#lineNo, warnings: this.#warnings };
  }

  #warn(message: string): void {
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(message);
    else if (this.#warnings.length === MAX_WARNINGS) this.#warnings.push('more warnings not shown');
  }

  #closeHunk(): void {
    if (this.#hunk && (this.#oldLeft > 0 || this.#newLeft > 0)) {
      this.#warn(`line ${this.#lineNo}: hunk "${this.#hunk.header.slice(0, 80)}" ended early (${this.#oldLeft} old and ${this.#newLeft} new lines missing)`);
    }
    this.#hunk = null;
    this.#oldLeft = 0;
    this.#newLeft = 0;
  }

  #startFile(f: DiffFile): void {
    this.#closeHunk();
    this.#files.push(f);
    this.#file = f;
    this.#sawHeaders = true;
    this.#inBinaryPatch = false;
  }

  #line(raw: string): void {
    // inside a hunk whose counts are not used up yet, every line belongs to it
    const hunk = this.#hunk;
    if (hunk && (this.#oldLeft > 0 || this.#newLeft > 0)) {
      const c = raw.charCodeAt(0);
      if (c === 32 /* ' ' */ || raw.length === 0 || (raw.length === 1 && c === 13)) {
        hunk.lines.push({ kind: 'ctx', oldNo: this.#oldNo++, newNo: this.#newNo++, text: clip(raw.slice(1)) });
        this.#oldLeft--;
        this.#newLeft--;
        return;
      }
      if (c === 45 /* - */ && this.#oldLeft > 0) {
        hunk.lines.push({ kind: 'del', oldNo: this.#oldNo++, newNo: null, text: clip(raw.slice(1)) });
        this.#oldLeft--;
        this.#file!.removed++;
        return;
      }
      if (c === 43 /* + */ && this.#newLeft > 0) {
        hunk.lines.push({ kind: 'add', oldNo: null, newNo: this.#newNo++, text: clip(raw.slice(1)) });
        this.#newLeft--;
        this.#file!.added++;
        return;
      }
      if (c === 92 /* \ */) {
        hunk.lines.push({ kind: 'meta', oldNo: null, newNo: null, text: clip(raw) });
        return;
      }
      this.#closeHunk(); // malformed: fall through and read the line afresh
    } else if (hunk && raw.charCodeAt(0) === 92) {
      hunk.lines.push({ kind: 'meta', oldNo: null, newNo: null, text: clip(raw) }); // "\ No newline" after the last line
      return;
    } else if (hunk) {
      this.#closeHunk();
    }

    if (this.#inBinaryPatch) {
      if (raw.trim() === '') this.#inBinaryPatch = false;
      return;
    }

    if (raw.startsWith('diff --git ')) {
      const [a, b] = gitPaths(raw.slice(11));
      this.#startFile(newFile(a, b));
      this.#gitHeader = true;
      return;
    }
    const file = this.#file;
    if (raw.startsWith('--- ')) {
      // a new file section unless we are in a git header still waiting for its ---
      const path = headerPath(raw.slice(4));
      if (!file || !this.#gitHeader || file.hunks.length > 0) this.#startFile(newFile(path, path));
      this.#gitHeader = false;
      const f = this.#file!;
      if (path === '/dev/null') f.status = 'added';
      else f.oldPath = path;
      return;
    }
    if (raw.startsWith('+++ ') && file) {
      const path = headerPath(raw.slice(4));
      if (path === '/dev/null') {
        file.status = 'deleted';
        file.newPath = file.oldPath;
      } else {
        file.newPath = path;
        if (file.status === 'added') file.oldPath = path;
      }
      this.#gitHeader = false;
      return;
    }
    if (raw.startsWith('@@ ')) {
      const h = parseHunkHeader(raw);
      if (!file || !h) {
        this.#warn(`line ${this.#lineNo}: ${file ? 'malformed hunk header' : 'hunk outside a file'}: ${raw.slice(0, 80)}`);
        return;
      }
      this.#gitHeader = false;
      const hunk: Hunk = { header: clip(raw), ...h, lines: [] };
      file.hunks.push(hunk);
      this.#hunk = hunk;
      this.#oldLeft = h.oldLines;
      this.#newLeft = h.newLines;
      this.#oldNo = h.oldStart;
      this.#newNo = h.newStart;
      // an empty side starts at 0 in unified diffs ("-0,0"); numbering starts at 1 when lines come
      if (h.oldLines === 0 && this.#oldNo === 0) this.#oldNo = 1;
      if (h.newLines === 0 && this.#newNo === 0) this.#newNo = 1;
      return;
    }
    if (file && this.#gitHeader) {
      // git extended headers
      if (raw.startsWith('new file mode')) file.status = 'added';
      else if (raw.startsWith('deleted file mode')) file.status = 'deleted';
      else if (raw.startsWith('rename from ')) {
        file.oldPath = unquote(raw.slice(12));
        file.status = 'renamed';
      } else if (raw.startsWith('rename to ')) {
        file.newPath = unquote(raw.slice(10));
        file.status = 'renamed';
      } else if (raw.startsWith('copy from ')) file.oldPath = unquote(raw.slice(10));
      else if (raw.startsWith('copy to ')) file.newPath = unquote(raw.slice(8));
      else if (raw.startsWith('Binary files ') || raw.startsWith('GIT binary patch')) {
        file.binary = true;
        if (raw.startsWith('GIT binary patch')) this.#inBinaryPatch = true;
      }
      if (file.meta.length < 20) file.meta.push(clip(raw));
      return;
    }
    if (raw.startsWith('Binary files ') && raw.endsWith(' differ')) {
      // plain `diff` binary notice: "Binary files a/x and b/y differ"
      const body = raw.slice(13, -7);
      const and = body.indexOf(' and ');
      const a = and === -1 ? body : headerPath(body.slice(0, and));
      const b = and === -1 ? body : headerPath(body.slice(and + 5));
      const f = newFile(a, b);
      f.binary = true;
      if (a === '/dev/null') f.status = 'added';
      if (b === '/dev/null') f.status = 'deleted';
      this.#startFile(f);
      return;
    }
    if (!this.#sawHeaders) {
      // preamble (commit message, plan output…) kept in case the whole text is not a diff
      if (this.#plainLines.length < LIMITS.maxLines) this.#plainLines.push(raw);
      return;
    }
    if (raw.trim() !== '' && !raw.startsWith('index ')) {
      this.#warn(`line ${this.#lineNo}: unexpected line outside a hunk: ${raw.slice(0, 80)}`);
    }
  }

  #finish(): void {
    this.#closeHunk();
    for (const f of this.#files) {
      if (f.status === 'modified' && f.oldPath !== f.newPath && f.oldPath !== '/dev/null') f.status = 'renamed';
    }
    if (!this.#sawHeaders && this.#plainLines.some((l) => l.trim() !== '')) {
      // not a diff: show the text as it is rather than nothing
      const f = newFile('', '(text)');
      f.plain = true;
      const lines = this.#plainLines;
      if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      f.hunks.push({
        header: '',
        oldStart: 1,
        oldLines: lines.length,
        newStart: 1,
        newLines: lines.length,
        lines: lines.map((t, i) => ({ kind: 'ctx' as const, oldNo: null, newNo: i + 1, text: clip(t) })),
      });
      this.#files.push(f);
      this.#warn('no diff headers found: the text is shown as it is');
    }
    this.#plainLines = [];
  }
}

/** Parses a whole unified/git diff. Never throws; problems are in `warnings`. */
export function parseDiff(text: string): ParseResult {
  const p = new DiffParser(text);
  p.step();
  return p.result();
}

/** The display path of a file: the new path, or the old one for deletions. */
export function filePath(f: DiffFile): string {
  return f.status === 'deleted' ? f.oldPath : f.newPath;
}

// ---- computing a diff ----------------------------------------------------------------------------

export interface ComputeOptions {
  oldName?: string;
  newName?: string;
  /** Milliseconds before jsdiff gives up (default 400). */
  timeout?: number;
  /** Largest edit distance jsdiff explores (default 5,000 lines). */
  maxEditLength?: number;
  context?: number;
}

export type ComputeResult = { tooLarge: false; text: string; added: number; removed: number; ms: number } | { tooLarge: true; reason: string; ms: number };

function countLines(s: string): number {
  if (s.length === 0) return 0;
  let n = 1;
  let i = -1;
  while ((i = s.indexOf('\n', i + 1)) !== -1) n++;
  return s.endsWith('\n') ? n - 1 : n;
}

/**
 * A unified diff of two texts with jsdiff, always bounded: refused outright past the size limits,
 * and given up (→ `tooLarge`) past `timeout` ms or `maxEditLength` edits.
 */
export function computeDiff(oldText: string, newText: string, options: ComputeOptions = {}): ComputeResult {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const total = oldText.length + newText.length;
  if (total > LIMITS.maxBytes)
    return { tooLarge: true, reason: `The texts are ${formatBytes(total)} together; the limit is ${formatBytes(LIMITS.maxBytes)}.`, ms: ms() };
  const lines = countLines(oldText) + countLines(newText);
  if (lines > LIMITS.maxLines)
    return { tooLarge: true, reason: `The texts have ${commas(lines)} lines together; the limit is ${commas(LIMITS.maxLines)}.`, ms: ms() };
  const timeout = options.timeout ?? 400;
  const maxEditLength = options.maxEditLength ?? 5000;
  let text: string | undefined;
  try {
    text = createTwoFilesPatch(options.oldName ?? 'a', options.newName ?? 'b', oldText, newText, undefined, undefined, {
      timeout,
      maxEditLength,
      context: options.context ?? 3,
    });
  } catch (err) {
    return { tooLarge: true, reason: `The diff could not be computed: ${(err as Error)?.message ?? String(err)}`, ms: ms() };
  }
  if (text === undefined) {
    return {
      tooLarge: true,
      reason: `The texts differ too much to diff quickly (gave up after ${ms()} ms; limits: ${timeout} ms, ${commas(maxEditLength)} changed lines).`,
      ms: ms(),
    };
  }
  const parsed = parseDiff(text);
  return { tooLarge: false, text, added: parsed.added, removed: parsed.removed, ms: ms() };
}
