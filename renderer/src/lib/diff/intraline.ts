// What changed inside a line: for a removed line and the added line paired with it, the character
// ranges that differ, and the window of a very long line that is rendered around its first change.
// Computed only for the rows on screen, and bounded: a common prefix and suffix first (linear), then a
// word diff of the middle only when the middle is short.
import { diffWordsWithSpace } from 'diff';
import type { DiffLine, Hunk } from '../../../../shared/diff/parse.ts';

/** [start, end) character offsets. */
export type Range = readonly [number, number];
export interface Intraline {
  old: Range[];
  new: Range[];
}

/** Middles (both sides together) up to this long are refined word by word; longer ones are one range. */
export const REFINE_CHARS = 600;
/** More ranges than this on a side are shown as one (a scatter of highlights reads worse than one). */
const MAX_RANGES = 8;
const MAX_WORD = 64;
const NONE: Intraline = { old: [], new: [] };

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

function push(out: Range[], start: number, end: number): void {
  if (end <= start) return;
  const last = out[out.length - 1];
  if (last && last[1] === start) out[out.length - 1] = [last[0], end];
  else out.push([start, end]);
}

export function intraline(a: string, b: string): Intraline {
  if (a === b) return NONE;
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let s = 0;
  while (s < n - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  // whole words: a change inside a word highlights the word (up to a word's likely length: a
  // 40,000-character "word" is data, and its changed characters are the point)
  const p0 = p;
  const s0 = s;
  while (p > 0 && p0 - p < MAX_WORD && isWord(a.charCodeAt(p - 1)) && (isWord(a.charCodeAt(p)) || isWord(b.charCodeAt(p)))) p--;
  while (s > 0 && s0 - s < MAX_WORD && isWord(a.charCodeAt(a.length - s)) && (isWord(a.charCodeAt(a.length - s - 1)) || isWord(b.charCodeAt(b.length - s - 1))))
    s--;
  const aEnd = a.length - s;
  const bEnd = b.length - s;
  if (p === 0 && s === 0 && aEnd + bEnd > REFINE_CHARS) return NONE; // nothing in common to set the change against
  const out: Intraline = { old: [], new: [] };
  if (aEnd - p + (bEnd - p) > REFINE_CHARS) {
    push(out.old, p, aEnd);
    push(out.new, p, bEnd);
    return out;
  }
  let i = p;
  let j = p;
  let common = p + s;
  for (const part of diffWordsWithSpace(a.slice(p, aEnd), b.slice(p, bEnd))) {
    const len = part.value.length;
    if (part.removed) {
      push(out.old, i, i + len);
      i += len;
    } else if (part.added) {
      push(out.new, j, j + len);
      j += len;
    } else {
      i += len;
      j += len;
      common += len;
    }
  }
  // barely anything in common: the lines are different, not edited
  if (common * 4 < Math.min(a.length, b.length)) return NONE;
  if (out.old.length > MAX_RANGES) out.old = [[out.old[0]![0], out.old[out.old.length - 1]![1]]];
  if (out.new.length > MAX_RANGES) out.new = [[out.new[0]![0], out.new[out.new.length - 1]![1]]];
  return out;
}

const partners = new WeakMap<Hunk, Int32Array>();

/** The line paired with line `i` of a hunk (the k-th removal of a change block with its k-th addition), or -1. */
export function partnerOf(h: Hunk, i: number): number {
  let p = partners.get(h);
  if (!p) {
    p = pairUp(h.lines);
    partners.set(h, p);
  }
  return p[i] ?? -1;
}

function pairUp(lines: readonly DiffLine[]): Int32Array {
  const p = new Int32Array(lines.length).fill(-1);
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.kind !== 'del') {
      i++;
      continue;
    }
    const dels: number[] = [];
    while (i < lines.length && lines[i]!.kind !== 'add' && lines[i]!.kind !== 'ctx') {
      if (lines[i]!.kind === 'del') dels.push(i);
      i++;
    }
    let k = 0;
    while (i < lines.length && lines[i]!.kind !== 'del' && lines[i]!.kind !== 'ctx') {
      if (lines[i]!.kind === 'add') {
        const d = dels[k++];
        if (d !== undefined) {
          p[d] = i;
          p[i] = d;
        }
      }
      i++;
    }
  }
  return p;
}

const cache = new WeakMap<DiffLine, Range[]>();

/** The changed ranges of a line against its partner (memoised per line). */
export function changedRanges(line: DiffLine, partner: DiffLine | undefined): Range[] {
  if (!partner || (line.kind !== 'del' && line.kind !== 'add')) return [];
  const hit = cache.get(line);
  if (hit) return hit;
  const old = line.kind === 'del' ? line : partner;
  const neu = line.kind === 'del' ? partner : line;
  const r = intraline(old.text, neu.text);
  cache.set(old, r.old);
  cache.set(neu, r.new);
  return line.kind === 'del' ? r.old : r.new;
}

// ---- long lines ------------------------------------------------------------------------------------

/** Lines up to this long are rendered whole (they scroll horizontally); longer ones as a window. */
export const WINDOW_CHARS = 2000;
/** Characters kept before the first change when the window opens on it. */
export const LEAD_CHARS = 40;
/** One "show more" click reveals this many more characters. */
export const EXPAND_CHARS = 10_000;

export interface LineWindow {
  from: number;
  to: number;
}

/** The part of a line rendered by default: all of it, or WINDOW_CHARS around its first change. */
export function defaultWindow(length: number, ranges: readonly Range[]): LineWindow {
  if (length <= WINDOW_CHARS) return { from: 0, to: length };
  const first = ranges[0]?.[0] ?? 0;
  const from = Math.max(0, Math.min(first - LEAD_CHARS, length - WINDOW_CHARS));
  return { from, to: Math.min(length, from + WINDOW_CHARS) };
}

/** Whether a change lies in [from, to) (the omitted part an expander stands for). */
export function hasChangeIn(ranges: readonly Range[], from: number, to: number): boolean {
  return ranges.some(([s, e]) => s < to && e > from);
}

// ---- file names ----------------------------------------------------------------------------------

/**
 * A path shortened in the middle to at most `max` characters, keeping the first directory and the
 * file name whole ("deploy/…/daemonsets-0.yaml"); the file name alone is cut only if it is longer.
 */
export function middleEllipsis(path: string, max: number): string {
  if (path.length <= max) return path;
  const parts = path.split('/');
  const name = parts[parts.length - 1]!;
  if (parts.length === 1 || name.length + 2 > max) {
    const keep = max - 1;
    const tail = Math.ceil(keep / 2);
    return `${path.slice(0, keep - tail)}…${path.slice(path.length - tail)}`;
  }
  // as many leading directories as fit, then "…/", then the file name
  let head = '';
  for (const dir of parts.slice(0, -1)) {
    if ((head + dir).length + 1 + 2 + name.length > max) break;
    head += `${dir}/`;
  }
  return `${head}…/${name}`;
}

// ---- painting --------------------------------------------------------------------------------------

export interface Seg {
  text: string;
  cls: string;
  /** Inside a changed range. */
  hl: boolean;
}

/** Syntax tokens of the text starting at `offset`, cut at the changed ranges' edges. */
export function paint(tokens: readonly { text: string; cls: string }[], ranges: readonly Range[], offset: number): Seg[] {
  const out: Seg[] = [];
  let pos = offset;
  let r = 0;
  for (const t of tokens) {
    let i = 0;
    while (i < t.text.length) {
      const at = pos + i;
      while (r < ranges.length && ranges[r]![1] <= at) r++;
      const cur = ranges[r];
      const hl = cur !== undefined && cur[0] <= at;
      const end = cur === undefined ? t.text.length : Math.min(t.text.length, (hl ? cur[1] : cur[0]) - pos);
      out.push({ text: t.text.slice(i, end), cls: t.cls, hl });
      i = end;
    }
    pos += t.text.length;
  }
  return out;
}
