// The diff viewer's state: parsing (in slices for large diffs, showing what is parsed so far),
// the risk summary, folds, the row list of the current layout and the virtual scroll window.
import { assessSize, DiffParser, type DiffStats, type ParseResult } from '../../../../shared/diff/parse.ts';
import { summarizeRisk, type RiskSummary } from '../../../../shared/diff/risk.ts';
import { buildRows, fileAt, rowOfLine, type Mode, type RowIndex } from './rows.ts';

/** Every row is this tall (px): the scroller's geometry is arithmetic, never measured. */
export const ROW_HEIGHT = 20;
/** Rows rendered above and below the viewport. */
export const OVERSCAN = 4;
/** Diffs up to this size are parsed in one go; larger ones in slices between frames. */
const SYNC_PARSE_CHARS = 1_000_000;
const SLICE_LINES = 25_000;

export type Phase = 'empty' | 'parsing' | 'ready' | 'too-large';

const NO_ROWS: RowIndex = { rows: [], fileRows: [] };

export class DiffView {
  #phase = $state<Phase>('empty');
  #progress = $state(0);
  #parsed = $state.raw<ParseResult | null>(null);
  #risk = $state.raw<RiskSummary | null>(null);
  #stats = $state.raw<DiffStats | null>(null);
  #tooLargeReason = $state('');
  #expanded = $state.raw<ReadonlySet<string>>(new Set());
  #collapsed = $state.raw<ReadonlySet<number>>(new Set());
  #scrollTop = $state(0);
  #viewport = $state(600);
  #cancel: (() => void) | null = null;
  readonly #getMode: () => Mode;

  constructor(getMode: () => Mode) {
    this.#getMode = getMode;
  }

  get phase(): Phase {
    return this.#phase;
  }
  get progress(): number {
    return this.#progress;
  }
  get parsed(): ParseResult | null {
    return this.#parsed;
  }
  get risk(): RiskSummary | null {
    return this.#risk;
  }
  get stats(): DiffStats | null {
    return this.#stats;
  }
  get tooLargeReason(): string {
    return this.#tooLargeReason;
  }
  get files() {
    return this.#parsed?.files ?? [];
  }

  readonly index: RowIndex = $derived.by(() => (this.#parsed ? buildRows(this.#parsed.files, this.#getMode(), this.#expanded, this.#collapsed) : NO_ROWS));

  get totalHeight(): number {
    return this.index.rows.length * ROW_HEIGHT;
  }

  /** The rendered slice [start, end) of rows. */
  readonly window = $derived.by(() => {
    const n = this.index.rows.length;
    const first = Math.floor(this.#scrollTop / ROW_HEIGHT);
    const start = Math.max(0, Math.min(n, first - OVERSCAN));
    const end = Math.min(n, first + Math.ceil(this.#viewport / ROW_HEIGHT) + OVERSCAN);
    return { start, end: Math.max(start, end) };
  });

  /** The file at the top of the viewport. */
  readonly currentFile = $derived.by(() => (this.index.fileRows.length ? fileAt(this.index.fileRows, Math.floor(this.#scrollTop / ROW_HEIGHT)) : -1));

  set scrollTop(v: number) {
    this.#scrollTop = v;
  }
  get scrollTop(): number {
    return this.#scrollTop;
  }
  set viewport(v: number) {
    this.#viewport = v;
  }

  isExpanded(id: string): boolean {
    return this.#expanded.has(id);
  }

  expand(id: string): void {
    const next = new Set(this.#expanded);
    next.add(id);
    this.#expanded = next;
  }

  /** Files shown as their header only (the reviewer marked them viewed). */
  set collapsed(v: ReadonlySet<number>) {
    this.#collapsed = v;
  }

  /** The longest line of the diff (the width the split panes scroll over), computed once per parse. */
  readonly longestLine = $derived.by(() => {
    let n = 0;
    for (const f of this.#parsed?.files ?? []) for (const h of f.hunks) for (const l of h.lines) if (l.text.length > n) n = l.text.length;
    return n;
  });

  /** Starts on a new text; cancels any parse in progress. */
  load(text: string): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#expanded = new Set();
    this.#risk = null;
    this.#parsed = null;
    this.#progress = 0;
    if (typeof text !== 'string' || text.length === 0) {
      this.#phase = 'empty';
      this.#stats = null;
      return;
    }
    const verdict = assessSize(text);
    this.#stats = verdict.stats;
    if (verdict.tooLarge) {
      this.#tooLargeReason = verdict.reason;
      this.#phase = 'too-large';
      return;
    }
    const parser = new DiffParser(text);
    if (text.length <= SYNC_PARSE_CHARS) {
      parser.step();
      this.#finish(parser.result());
      return;
    }
    // large: a slice per task; what is parsed so far is shown at once
    this.#phase = 'parsing';
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#cancel = () => {
      cancelled = true;
      clearTimeout(timer);
    };
    const slice = () => {
      if (cancelled) return;
      const done = parser.step(SLICE_LINES);
      const r = parser.result();
      this.#progress = parser.progress;
      if (done) {
        this.#cancel = null;
        this.#finish(r);
      } else {
        this.#parsed = { ...r, files: r.files.slice() };
        timer = setTimeout(slice, 0);
      }
    };
    slice();
  }

  #finish(r: ParseResult): void {
    this.#parsed = { ...r, files: r.files.slice() };
    this.#risk = summarizeRisk(r.files);
    this.#progress = 1;
    this.#phase = 'ready';
  }

  destroy(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  /** Row of a file's header. */
  fileRow(file: number): number {
    return this.index.fileRows[file] ?? 0;
  }

  /** Row showing a line (expanding the fold that hides it). */
  lineRow(file: number, hunk: number, line: number): number {
    let r = rowOfLine(this.index, file, hunk, line);
    const row = this.index.rows[r];
    if (row && row.t === 'fold' && line >= 0) {
      this.expand(row.id);
      r = rowOfLine(this.index, file, hunk, line);
    }
    return r;
  }

  /** (file, hunk, line) at the top of the viewport, to keep the place across layout changes. */
  anchor(): { file: number; hunk: number; line: number } | null {
    const row = this.index.rows[Math.floor(this.#scrollTop / ROW_HEIGHT)];
    if (!row) return null;
    switch (row.t) {
      case 'file':
      case 'note':
        return { file: row.file, hunk: -1, line: -1 };
      case 'hunk':
        return { file: row.file, hunk: row.hunk, line: -1 };
      case 'line':
        return { file: row.file, hunk: row.hunk, line: row.line };
      case 'pair':
        return { file: row.file, hunk: row.hunk, line: Math.max(row.left, row.right) };
      case 'fold':
        return { file: row.file, hunk: row.hunk, line: row.from };
      default:
        row satisfies never;
        return null;
    }
  }
}
