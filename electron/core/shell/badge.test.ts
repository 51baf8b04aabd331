import { test } from 'node:test';
import assert from 'node:assert/strict';
import { badgePlan, badgeText, drawCount } from './badge.ts';

const blank = (w: number, h: number) => new Uint8Array(w * h * 4);
const px = (b: Uint8Array, w: number, x: number, y: number) => [...b.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)];

test('badge text: nothing for 0, the count up to 9, 9+ beyond', () => {
  assert.deepEqual([0, -1, Number.NaN, 1, 9, 10, 250].map(badgeText), ['', '', '', '1', '9', '9+', '9+']);
});

test('the count is drawn onto the tray bitmap (a red disc bottom right, white digits); 0 leaves the icon as it was', () => {
  for (const size of [16, 32]) {
    const icon = blank(size, size);
    icon.set([10, 20, 30, 255], 0);
    assert.deepEqual(drawCount(icon, size, size, 0), Buffer.from(icon));
    const drawn = drawCount(icon, size, size, 3);
    assert.deepEqual(px(drawn, size, 0, 0), [10, 20, 30, 255], 'the icon outside the badge is kept');
    assert.deepEqual(px(icon, size, size - 2, size - 4), [0, 0, 0, 0], 'the input is not modified');
    const colours = new Set<string>();
    for (let i = 0; i < drawn.length; i += 4) colours.add(drawn.subarray(i, i + 4).join(','));
    assert.ok(colours.has('46,46,217,255') && colours.has('255,255,255,255'), `${size}: red disc and white digits`);
    // Different counts draw differently.
    assert.notDeepEqual(drawCount(icon, size, size, 3), drawCount(icon, size, size, 8));
    assert.notDeepEqual(drawCount(icon, size, size, 9), drawCount(icon, size, size, 12));
  }
  assert.throws(() => drawCount(blank(4, 4), 16, 16, 1), /not 16×16×4/);
});

test('where each platform shows the count', () => {
  assert.deepEqual(badgePlan('darwin'), { appBadge: true, trayAlways: false, windowOverlay: false });
  assert.deepEqual(badgePlan('linux'), { appBadge: true, trayAlways: false, windowOverlay: false });
  assert.deepEqual(badgePlan('win32'), { appBadge: false, trayAlways: true, windowOverlay: true });
});
