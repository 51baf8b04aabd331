// Parsed files → the flat list of fixed-height rows the virtual scroller renders, in unified or
// split layout, with long runs of unchanged context folded unless expanded. Rows are small index
// records (no copies of line text), so 100k+ rows cost a few MB and a few ms.
import type { DiffFile, Hunk } from '../../../../shared/diff/parse.ts';

export type Mode = 'unified' | 'split';

export type Row =
  | { t: 'file'; file: number }
  | { t: 'hunk'; file: number; hunk: number }
  /** Unified: one line of a hunk. */
  | { t: 'line'; file: number; hunk: number; line: number }
  /** Split: the old side's line and the new side's line (-1: none). */
  | { t: 'pair'; file: number; hunk: number; left: number; right: number }
  /** `count` unchanged lines [from, to) of a hunk, folded; `id` is stable across modes. */
  | { t: 'fold'; file: number; hunk: number; from: number; to: number; count: number; id: string }
  /** A file without lines to show (binary, mode or rename only). */
  | { t: 'note'; file: number; text: string };

/** Unchanged lines kept visible on each side of a change. */
export const CONTEXT = 3;
/** Runs of unchanged lines at least this long are folded. */
export const FOLD_MIN = 2 * CONTEXT + 4;

export interface RowIndex {
  rows: Row[];
  /** Row index of each file's header. */
  fileRows: number[];
}

export function foldId(file: number, hunk: number, from: number): string {
  return `${file}:${hunk}:${from}`;
}

/** The folded ranges of a hunk: [from, to) over its lines, for ctx runs of FOLD_MIN or more. */
function folds(h: Hunk, fileIndex: number, hunkIndex: number, expanded: ReadonlySet<string>): { from: number; to: number; id: string }[] {
  const out: { from: number; to: number; id: string }[] = [];
  const lines = h.lines;
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.kind !== 'ctx') {
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.kind === 'ctx') j++;
    if (j - i >= FOLD_MIN) {
      // keep CONTEXT lines next to changes; at the hunk's edges, there is no change to keep close to
      const from = i === 0 ? 0 : i + CONTEXT;
      const to = j === lines.length ? lines.length : j - CONTEXT;
      const id = foldId(fileIndex, hunkIndex, i);
      if (to - from >= 2 && !expanded.has(id)) out.push({ from, to, id });
    }
    i = j;
  }
  return out;
}

function noteFor(f: DiffFile): string {
  if (f.binary) return 'Binary file not shown';
  if (f.status === 'renamed') return 'File renamed without changes';
  if (f.meta.some((m) => m.startsWith('old mode') || m.startsWith('new mode'))) return 'File mode changed';
  return 'No changes shown';
}

/** `collapsed`: files shown as their header only (marked viewed). */
export function buildRows(files: readonly DiffFile[], mode: Mode, expanded: ReadonlySet<string>, collapsed: ReadonlySet<number> = new Set()): RowIndex {
  const rows: Row[] = [];
  const fileRows: number[] = [];
  files.forEach((f, fi) => {
    fileRows.push(rows.length);
    rows.push({ t: 'file', file: fi });
    if (collapsed.has(fi)) return;
    if (f.hunks.length === 0 || f.binary) {
      rows.push({ t: 'note', file: fi, text: noteFor(f) });
      return;
    }
    f.hunks.forEach((h, hi) => {
      if (!f.plain) rows.push({ t: 'hunk', file: fi, hunk: hi });
      const fs = folds(h, fi, hi, expanded);
      let fold = 0;
      const lines = h.lines;
      let i = 0;
      while (i < lines.length) {
        const next = fs[fold];
        if (next && i === next.from) {
          rows.push({ t: 'fold', file: fi, hunk: hi, from: next.from, to: next.to, count: next.to - next.from, id: next.id });
          i = next.to;
          fold++;
          continue;
        }
        const end = next ? next.from : lines.length;
        if (mode === 'unified') {
          for (; i < end; i++) rows.push({ t: 'line', file: fi, hunk: hi, line: i });
        } else {
          pairLines(h, i, end, fi, hi, rows);
          i = end;
        }
      }
    });
  });
  return { rows, fileRows };
}

/** Split layout of lines [from, to): context side by side, a run of removals next to the additions after it. */
function pairLines(h: Hunk, from: number, to: number, fi: number, hi: number, rows: Row[]): void {
  const lines = h.lines;
  let i = from;
  while (i < to) {
    const l = lines[i]!;
    if (l.kind === 'ctx') {
      rows.push({ t: 'pair', file: fi, hunk: hi, left: i, right: i });
      i++;
      continue;
    }
    if (l.kind === 'meta') {
      // "\ No newline at end of file": on the side of the line it follows
      const prev = lines[i - 1];
      const left = prev?.kind !== 'add' ? i : -1;
      const right = prev?.kind !== 'del' ? i : -1;
      rows.push({ t: 'pair', file: fi, hunk: hi, left, right });
      i++;
      continue;
    }
    const dels: number[] = [];
    const adds: number[] = [];
    // a change block: removals then additions (a "\ No newline" inside stays with its side)
    while (i < to && (lines[i]!.kind === 'del' || (lines[i]!.kind === 'meta' && adds.length === 0 && dels.length > 0))) dels.push(i++);
    while (i < to && (lines[i]!.kind === 'add' || (lines[i]!.kind === 'meta' && adds.length > 0))) adds.push(i++);
    const n = Math.max(dels.length, adds.length);
    for (let k = 0; k < n; k++) rows.push({ t: 'pair', file: fi, hunk: hi, left: dels[k] ?? -1, right: adds[k] ?? -1 });
  }
}

/** The file whose section holds row `row` (binary search over the file header rows). */
export function fileAt(fileRows: readonly number[], row: number): number {
  let lo = 0;
  let hi = fileRows.length - 1;
  let ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fileRows[mid]! <= row) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** The row showing line `lineIndex` of hunk `hunkIndex` in file `fileIndex` (the fold that hides it, if folded). */
export function rowOfLine(index: RowIndex, fileIndex: number, hunkIndex: number, lineIndex: number): number {
  const start = index.fileRows[fileIndex];
  if (start === undefined) return 0;
  if (hunkIndex < 0) return start;
  const end = index.fileRows[fileIndex + 1] ?? index.rows.length;
  let best = start;
  for (let r = start; r < end; r++) {
    const row = index.rows[r]!;
    if (row.t === 'hunk' && row.hunk === hunkIndex && lineIndex < 0) return r;
    if (!('hunk' in row) || row.hunk !== hunkIndex) {
      if ('hunk' in row && row.hunk > hunkIndex) break;
      continue;
    }
    if (row.t === 'line' && row.line === lineIndex) return r;
    if (row.t === 'pair' && (row.left === lineIndex || row.right === lineIndex)) return r;
    if (row.t === 'fold' && lineIndex >= row.from && lineIndex < row.to) return r;
    if (row.t === 'line' || row.t === 'pair' || row.t === 'hunk') best = r;
  }
  return best;
}
