// The approvable count where the platform has no badge. `app.setBadgeCount` works on macOS's Dock
// and on Linux only under Unity (it returns false elsewhere); Windows has no app badge at all, only
// a taskbar overlay on a window, which vanishes with the window. So, as tray apps do, the count is
// drawn onto the tray icon itself (and onto the overlay on Windows), from plain pixels: main turns
// the tray image into a BGRA bitmap (nativeImage.toBitmap), this draws, main makes an image back.

/** Where the count shows on each platform. */
export interface BadgePlan {
  /** Call app.setBadgeCount (its answer decides whether the tray must show the count). */
  appBadge: boolean;
  /** Draw the count on the tray icon even when the app badge worked. */
  trayAlways: boolean;
  /** Set a drawn overlay on the window's taskbar button (Windows). */
  windowOverlay: boolean;
}

export function badgePlan(platform: NodeJS.Platform): BadgePlan {
  if (platform === 'darwin') return { appBadge: true, trayAlways: false, windowOverlay: false };
  if (platform === 'win32') return { appBadge: false, trayAlways: true, windowOverlay: true };
  return { appBadge: true, trayAlways: false, windowOverlay: false };
}

/** The text of a badge: nothing for 0, the number up to 9, "9+" beyond. */
export function badgeText(count: number): string {
  if (!Number.isFinite(count) || count <= 0) return '';
  return count > 9 ? '9+' : String(Math.floor(count));
}

// A 3×5 pixel font, one string per row, for the characters a badge needs.
const GLYPHS: Record<string, string[]> = {
  '0': ['###', '#.#', '#.#', '#.#', '###'],
  '1': ['.#.', '##.', '.#.', '.#.', '###'],
  '2': ['###', '..#', '###', '#..', '###'],
  '3': ['###', '..#', '.##', '..#', '###'],
  '4': ['#.#', '#.#', '###', '..#', '..#'],
  '5': ['###', '#..', '###', '..#', '###'],
  '6': ['###', '#..', '###', '#.#', '###'],
  '7': ['###', '..#', '.#.', '.#.', '.#.'],
  '8': ['###', '#.#', '###', '#.#', '###'],
  '9': ['###', '#.#', '###', '..#', '###'],
  '+': ['...', '.#.', '###', '.#.', '...'],
};

/** BGRA, as nativeImage.toBitmap gives and createFromBitmap takes. */
const BADGE_FILL = [0x2e, 0x2e, 0xd9, 0xff] as const; // red
const BADGE_TEXT = [0xff, 0xff, 0xff, 0xff] as const;

/**
 * A copy of `bitmap` (BGRA, width×height) with the count drawn in a red disc at the bottom right;
 * the bitmap itself, copied, for a count of 0.
 */
export function drawCount(bitmap: Uint8Array, width: number, height: number, count: number): Buffer {
  if (bitmap.length !== width * height * 4) throw new Error(`bitmap is ${bitmap.length} bytes, not ${width}×${height}×4`);
  const out = Buffer.from(bitmap);
  const text = badgeText(count);
  if (!text) return out;
  const scale = Math.max(1, Math.floor(Math.min(width, height) / 16));
  const textW = (text.length * 4 - 1) * scale;
  const textH = 5 * scale;
  const radius = Math.min(Math.ceil(Math.max(textW, textH) / 2) + scale, Math.floor(Math.min(width, height) / 2));
  const cx = width - radius;
  const cy = height - radius;
  const put = (x: number, y: number, color: readonly number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    out.set(color, (y * width + x) * 4);
  };
  for (let y = cy - radius; y < cy + radius; y++)
    for (let x = cx - radius; x < cx + radius; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius * radius) put(x, y, BADGE_FILL);
  const left = Math.round(cx - textW / 2);
  const top = Math.round(cy - textH / 2);
  [...text].forEach((ch, i) => {
    const glyph = GLYPHS[ch]!;
    glyph.forEach((row, gy) => {
      [...row].forEach((cell, gx) => {
        if (cell !== '#') return;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) put(left + (i * 4 + gx) * scale + dx, top + gy * scale + dy, BADGE_TEXT);
      });
    });
  });
  return out;
}
