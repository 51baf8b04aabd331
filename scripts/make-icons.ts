// Draws Gatehouse's icons (a portcullis in a rounded square) as PNGs into build/, without any
// image tool: `node --import tsx scripts/make-icons.ts`. The outputs are committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel((x + 0.5) / size, (y + 0.5) / size);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Inside a rounded square of the given margin and corner radius (unit coordinates). */
function inRoundedSquare(x: number, y: number, margin: number, radius: number): boolean {
  const lo = margin + radius;
  const hi = 1 - margin - radius;
  const dx = Math.max(lo - x, 0, x - hi);
  const dy = Math.max(lo - y, 0, y - hi);
  return x >= margin && x <= 1 - margin && y >= margin && y <= 1 - margin && dx * dx + dy * dy <= radius * radius;
}

/** A portcullis: an arch with vertical bars and two cross bars. */
function inPortcullis(x: number, y: number, stroke: number): boolean {
  const cx = 0.5;
  const archTop = 0.24;
  const left = 0.27;
  const right = 0.73;
  const bottom = 0.78;
  const r = (right - left) / 2;
  const archCenterY = archTop + r;
  const insideArch = y >= archCenterY ? x >= left && x <= right && y <= bottom : (x - cx) ** 2 + (y - archCenterY) ** 2 <= r * r;
  if (!insideArch) return false;
  const ringOuter = y < archCenterY && (x - cx) ** 2 + (y - archCenterY) ** 2 >= (r - stroke) ** 2;
  const sides = y >= archCenterY && (x <= left + stroke || x >= right - stroke);
  const bars = [0.385, 0.5, 0.615].some((bx) => Math.abs(x - bx) <= stroke / 2);
  const cross = [0.5, 0.64].some((by) => Math.abs(y - by) <= stroke / 2);
  const foot = y >= bottom - stroke;
  return ringOuter || sides || bars || cross || foot;
}

const accent: [number, number, number] = [0x3b, 0x5b, 0xdb];
writeFileSync(
  'build/icon.png',
  png(512, (x, y) => (inRoundedSquare(x, y, 0.06, 0.18) ? (inPortcullis(x, y, 0.045) ? [255, 255, 255, 255] : [...accent, 255]) : [0, 0, 0, 0])),
);
// Tray: a template image (black + alpha) that macOS tints; Linux/Windows show it as drawn.
for (const [name, size] of [
  ['trayTemplate.png', 16],
  ['trayTemplate@2x.png', 32],
] as const) {
  writeFileSync(
    `build/${name}`,
    png(size, (x, y) => (inPortcullis(x, y, 0.09) ? [0, 0, 0, 255] : [0, 0, 0, 0])),
  );
}
writeFileSync(
  'build/tray.png',
  png(32, (x, y) => (inRoundedSquare(x, y, 0.04, 0.2) ? (inPortcullis(x, y, 0.08) ? [255, 255, 255, 255] : [...accent, 255]) : [0, 0, 0, 0])),
);
console.log('wrote build/icon.png, build/tray.png, build/trayTemplate.png, build/trayTemplate@2x.png');
