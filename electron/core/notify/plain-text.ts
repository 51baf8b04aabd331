// What an OS notification may show. Titles and bodies are built from strings other people typed
// (justifications, names, reasons, nudge messages), and the places they go interpret some of it:
// Linux notification daemons (libnotify) read a subset of HTML in the body (<b>, <i>, <a href>,
// <img src>, entities), and control characters or bidirectional overrides can forge or reorder
// the text shown. So: no tags, no entities, no control characters, no bidi controls, and a cap on
// length, applied in one place (Notifier#show) to everything sent to the OS or the browser.

/** Longest title and body shown, in code points; longer text ends with "…". */
export const TITLE_MAX = 120;
export const BODY_MAX = 500;
const BODY_MAX_LINES = 8;

// Tags, complete or cut off at the end ("<img src=x onerror=…" with no ">").
const TAG = /<\/?[A-Za-z!?/][^>]*(>|$)/g;
// C0 and C1 controls and DEL but the newline (tabs are spaces by then), bidi marks, embeddings,
// overrides and isolates, the BOM and the interlinear annotation marks.
const CONTROLS = /(?!\n)\p{Cc}|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]/gu;

/** `text` as plain text for a notification: one line for a title, a few for a body. */
export function notificationText(text: string, kind: 'title' | 'body'): string {
  let t = text
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(/\t/g, ' ')
    .replace(TAG, '')
    .replace(CONTROLS, '')
    // Whatever could still be read as markup: the brackets and entity starts that are left.
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/&/g, '＆');
  // A lone surrogate is not text (and not valid UTF-8 for D-Bus).
  t = t.replace(/\p{Cs}/gu, '\ufffd');
  if (kind === 'title') t = t.replace(/\s*\n\s*/g, ' ');
  else {
    const lines = t.split('\n').map((l) => l.replace(/ {2,}/g, ' ').trimEnd());
    t = lines
      .filter((l, i) => l !== '' || (i > 0 && lines[i - 1] !== ''))
      .slice(0, BODY_MAX_LINES)
      .join('\n');
    if (lines.length > BODY_MAX_LINES) t += '…';
  }
  t = t.replace(/ {2,}/g, ' ').trim();
  const max = kind === 'title' ? TITLE_MAX : BODY_MAX;
  const points = [...t];
  return points.length > max
    ? `${points
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`
    : t;
}
