// Where a compile error points, as a reader finds it: the line of the expression it is on (1-based,
// as editors count) and the column under which to draw the caret.

export interface CaretAt {
  /** 1-based line number. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The text of that line. */
  text: string;
  /** Spaces up to the column, then `^`: printed under `text` in a monospaced font. */
  caret: string;
}

/** `position` is a 0-based offset into `source`; past the end it points just after the last character. */
export function caretAt(source: string, position: number): CaretAt {
  const at = Math.max(0, Math.min(Math.trunc(position), source.length));
  const start = source.lastIndexOf('\n', at - 1) + 1;
  const nl = source.indexOf('\n', at);
  const text = source.slice(start, nl === -1 ? source.length : nl);
  const line = source.slice(0, start).split('\n').length;
  // Tabs stay tabs in the caret line so it lines up however wide the font draws them.
  const caret = `${text.slice(0, at - start).replace(/[^\t]/g, ' ')}^`;
  return { line, column: at - start + 1, text, caret };
}
