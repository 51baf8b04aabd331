// The console holds its shape from 1024×700 to 1920×1080: on every screen nothing sticks out of
// the window (no page scrolled sideways, nothing cut off by the frame), the bulk-selection bar
// stays one bar with every button on screen, inbox cells never overlap, the audit log's export
// buttons never cover its filters. And times read right: nothing that happened reads as future,
// every time carries its zone on hover, a policy's hours show in its zone and the viewer's.
import type { Locator, Page } from '@playwright/test';
import { test, expect, inboxList, ISTANBUL_TUESDAY_11, ISTANBUL_TUESDAY_21 } from './fixtures.ts';

const SIZES = [
  { width: 1024, height: 700 },
  { width: 1920, height: 1080 },
] as const;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlap(a: Box, b: Box): boolean {
  // Shared edges (a pixel's rounding) are not an overlap.
  return a.x + a.width > b.x + 1 && b.x + b.width > a.x + 1 && a.y + a.height > b.y + 1 && b.y + b.height > a.y + 1;
}

async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  expect(b, 'element has a box').not.toBeNull();
  return b!;
}

async function insideViewport(page: Page, l: Locator, what: string) {
  await expect(l, what).toBeVisible();
  const b = await box(l);
  const vp = page.viewportSize()!;
  expect(b.x, `${what}: left edge on screen`).toBeGreaterThanOrEqual(0);
  expect(b.y, `${what}: top edge on screen`).toBeGreaterThanOrEqual(0);
  expect(b.x + b.width, `${what}: right edge on screen`).toBeLessThanOrEqual(vp.width + 0.5);
  expect(b.y + b.height, `${what}: bottom edge on screen`).toBeLessThanOrEqual(vp.height + 0.5);
}

/**
 * The page does not scroll sideways, and no element reaches past the window's left or right edge
 * unless it sits in something the user can scroll sideways (the diff, a wide table): content
 * pushed out of the frame's clipping would be unreachable.
 */
async function expectNoHorizontalOverflow(page: Page, where: string) {
  // (Reached through the body element: this project's Node-side types have no DOM globals.)
  const found: string[] = await page.locator('body').evaluate((body) => {
    const doc = body.ownerDocument;
    const win = doc.defaultView!;
    const width = win.innerWidth;
    const out: string[] = [];
    const scroller = doc.scrollingElement!;
    if (scroller.scrollWidth > width) out.push(`the page scrolls sideways (${scroller.scrollWidth} > ${width})`);
    const scrollsX = (el: typeof body) => {
      const o = win.getComputedStyle(el).overflowX;
      return o === 'auto' || o === 'scroll';
    };
    for (const el of body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width < 2 || r.height < 2) continue;
      if (r.right <= width + 0.5 && r.left >= -0.5) continue;
      let reachable = false;
      for (let a = el.parentElement; a && !reachable; a = a.parentElement) reachable = scrollsX(a);
      if (reachable) continue;
      const cls = typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
      out.push(
        `${el.tagName.toLowerCase()}${cls} "${(el.textContent ?? '').trim().slice(0, 40)}" spans ${Math.round(r.left)}–${Math.round(r.right)} of ${width}`,
      );
      if (out.length > 5) break;
    }
    return out;
  });
  expect(found, `${where}: nothing sticks out of the window`).toEqual([]);
}

async function go(page: Page, nav: string) {
  await page.getByRole('link', { name: nav, exact: true }).click();
}

for (const size of SIZES) {
  test.describe(`at ${size.width}×${size.height}`, () => {
    test.use({ viewport: size });

    test('every screen fits the window', async ({ page, app }) => {
      void app;
      const list = inboxList(page);
      await expect(list.getByRole('listitem').first()).toContainText(/\w/);
      await expectNoHorizontalOverflow(page, 'inbox');

      await page.getByRole('textbox', { name: 'Search' }).fill('payments@9b01e77');
      await expect(list.getByRole('listitem')).toHaveCount(1);
      await list.getByRole('link').first().click();
      await expect(page.getByRole('region', { name: 'Diff' })).toContainText('adyen-eu');
      await expectNoHorizontalOverflow(page, 'request detail');

      // The Terraform destroy: risk facts and content rules with long expressions, which must wrap.
      await go(page, 'Inbox');
      await page.getByRole('textbox', { name: 'Search' }).fill('infra@77d0e2b');
      await expect(list.getByRole('listitem')).toContainText('infra@77d0e2b');
      await list.getByRole('link').first().click();
      await expect(page.getByRole('region', { name: /^Content rules/ })).toContainText('risk.terraformDestroys', { timeout: 20_000 });
      await expectNoHorizontalOverflow(page, 'request detail with content rules');

      await go(page, 'Policies');
      await page
        .getByRole('navigation', { name: 'Policy list' })
        .getByRole('button', { name: /^Production Terraform Destroy/ })
        .click();
      await expect(page.getByRole('article', { name: 'Production Terraform Destroy' })).toContainText('Content rules');
      await expectNoHorizontalOverflow(page, 'a policy with content rules');

      await go(page, 'Environments');
      await expect(page.getByRole('article', { name: 'checkout / production' })).toBeVisible();
      await expectNoHorizontalOverflow(page, 'environments');

      await go(page, 'Break-glass');
      await expect(page.getByRole('button', { name: 'Start break-glass session' })).toBeVisible();
      await expectNoHorizontalOverflow(page, 'break-glass');

      await go(page, 'Audit log');
      await expect(page.getByRole('table', { name: 'Audit events' })).toBeVisible({ timeout: 20_000 });
      await expectNoHorizontalOverflow(page, 'audit log');

      await go(page, 'Insights');
      await expect(page.getByRole('heading', { name: 'Waiting longest' })).toBeVisible();
      await expectNoHorizontalOverflow(page, 'insights');

      await go(page, 'Notifications');
      await expect(page.getByText('Only owners and admins see and manage notification channels')).toBeVisible();
      await expectNoHorizontalOverflow(page, 'notifications');

      await go(page, 'GitHub');
      await expect(page.getByText('Only owners and admins see and manage the GitHub integration')).toBeVisible();
      await expectNoHorizontalOverflow(page, 'github');

      await go(page, 'Settings');
      await expect(page.getByRole('heading', { name: 'Desktop notifications' })).toBeVisible();
      await expect(page.getByRole('form', { name: 'Organisation settings' })).toBeVisible();
      await expectNoHorizontalOverflow(page, 'settings');

      // Last: signing out stops the embedded demo backend. (If it asks to confirm, confirm.)
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      const signIn = page.getByRole('heading', { name: 'Sign in' });
      const confirm = page.getByRole('dialog').getByRole('button', { name: /^Sign out/ });
      await expect(signIn.or(confirm).first()).toBeVisible({ timeout: 20_000 });
      if (await confirm.isVisible()) await confirm.click();
      await expect(signIn).toBeVisible({ timeout: 20_000 });
      await expectNoHorizontalOverflow(page, 'sign-in');
    });

    test('inbox row cells never overlap', async ({ page, app }) => {
      void app;
      const rows = inboxList(page).getByRole('listitem');
      await expect(rows.first()).toContainText(/\w/);
      // Pending and decided rows both: every status.
      await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: /^All/ }).click();
      await expect(rows.first()).toContainText(/\w/);
      const n = Math.min(await rows.count(), 12);
      expect(n).toBeGreaterThan(3);
      for (let i = 0; i < n; i++) {
        const cells = rows.nth(i).locator(':scope > *, :scope > a > *');
        const boxes: { box: Box; text: string }[] = [];
        for (const cell of await cells.all()) {
          const b = await cell.boundingBox();
          if (b && b.width > 1 && b.height > 1) boxes.push({ box: b, text: ((await cell.textContent()) ?? '').trim() });
        }
        expect(boxes.length).toBeGreaterThan(5);
        for (let a = 0; a < boxes.length; a++)
          for (let b = a + 1; b < boxes.length; b++) {
            // The link holds action, resource and revision: those are compared with each other.
            const link =
              boxes[a]!.box.x <= boxes[b]!.box.x &&
              boxes[a]!.box.x + boxes[a]!.box.width >= boxes[b]!.box.x + boxes[b]!.box.width &&
              boxes[a]!.text.includes(boxes[b]!.text);
            if (link) continue;
            expect(overlap(boxes[a]!.box, boxes[b]!.box), `row ${i}: "${boxes[a]!.text}" and "${boxes[b]!.text}" overlap`).toBe(false);
          }
      }
    });

    test('the bulk bar is one bar with every button on screen', async ({ page, app }) => {
      void app;
      const list = inboxList(page);
      await expect(list.getByRole('listitem').first()).toContainText(/\w/);
      for (const i of [0, 1, 2]) await list.getByRole('checkbox').nth(i).check();
      const bar = page.getByRole('group', { name: 'Selection' });
      await expect(bar).toContainText('3 selected');
      const buttons = bar.getByRole('button');
      expect(await buttons.count()).toBeGreaterThan(0);
      for (const b of await buttons.all()) await insideViewport(page, b, `bulk bar button "${await b.textContent()}"`);
      const barBox = await box(bar);
      expect(barBox.height, 'one line, not wrapped').toBeLessThanOrEqual(48);
      // It covers neither the filters nor the rows in view.
      expect(overlap(barBox, await box(page.getByRole('group', { name: 'Status' })))).toBe(false);
      expect(overlap(barBox, await box(list.getByRole('listitem').nth(2)))).toBe(false);
    });

    test('the audit log’s export buttons never cover its filters', async ({ page, app }) => {
      void app;
      await go(page, 'Audit log');
      await expect(page.getByRole('table', { name: 'Audit events' })).toBeVisible({ timeout: 20_000 });
      const exports = page.getByRole('button', { name: /^Export/ });
      expect(await exports.count()).toBeGreaterThanOrEqual(2);
      const filters = [
        page.getByRole('combobox', { name: 'Event type' }),
        page.getByRole('combobox', { name: 'Actor' }),
        page.getByRole('searchbox', { name: 'Filter events' }),
        page.getByText('Break-glass only'),
      ];
      for (const e of await exports.all()) {
        await insideViewport(page, e, `"${await e.textContent()}"`);
        const eb = await box(e);
        for (const f of filters) expect(overlap(eb, await box(f)), `"${await e.textContent()}" covers a filter`).toBe(false);
      }
    });
  });
}

// Which requests the release manager may approve depends on the hour (the off-hours gate), so the
// test of an approvable selection states its instant.
test.describe('Tuesday 11:00 in Istanbul, at 1024×700', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11, viewport: { width: 1024, height: 700 } });

  test('the bulk approve button is on screen', async ({ page, app }) => {
    void app;
    const list = inboxList(page);
    await page.getByRole('textbox', { name: 'Search' }).fill('checkout@4f2a9c1');
    await expect(list.getByRole('listitem')).toHaveCount(2);
    for (const i of [0, 1]) await list.getByRole('checkbox').nth(i).check();
    const bar = page.getByRole('group', { name: 'Selection' });
    await insideViewport(page, bar.getByRole('button', { name: /^Approve 2\b/ }), 'the bulk approve button');
    await insideViewport(page, bar.getByRole('button', { name: 'Clear', exact: true }), 'Clear');
  });
});

test('a decided request’s times are in the past and carry their zone', async ({ page, app }) => {
  void app;
  const list = inboxList(page);
  await page.getByRole('textbox', { name: 'Search' }).fill('search@a81c3de');
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await list.getByRole('link').first().click();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  const timeline = page.getByRole('region', { name: 'Timeline' });
  const approved = timeline.getByRole('listitem').filter({ hasText: 'Rhea Manning approved' });
  await expect(approved).toBeVisible({ timeout: 20_000 });

  const times = page.locator('time');
  expect(await times.count()).toBeGreaterThan(2);
  for (const t of await times.all()) {
    const text = (await t.textContent()) ?? '';
    if ((await t.getAttribute('datetime')) === null) continue;
    await expect(t, 'every time shows its exact time with its zone on hover').toHaveAttribute('title', /\d\d:\d\d (UTC|GMT)/);
    if (/expires/i.test((await t.locator('xpath=ancestor::div[1]').textContent()) ?? '')) continue;
    expect(text, 'nothing that happened reads as future').not.toMatch(/\bin \d|in under/);
  }
  // The timeline writes the exact time out, with its zone.
  await expect(approved.locator('time')).toHaveText(/^(just now|1 minute ago) · \d{1,2} \w{3} \d{4}, \d\d:\d\d (UTC|GMT)/);
  await expect(page.getByText(/You approved this/)).toHaveText(/You approved this (just now|\d+ \w+ ago)\./);
  await expect(page.locator('body')).not.toContainText(/approved this in /);
});

test.describe('Tuesday 21:00 in Istanbul', () => {
  test.use({ clock: ISTANBUL_TUESDAY_21 });

  test('the off-hours gate shows its hours in Istanbul time and the viewer’s', async ({ page, app, timezoneId }) => {
    void app;
    const list = inboxList(page);
    await page.getByRole('textbox', { name: 'Search' }).fill('payments@9b01e77');
    await expect(list.getByRole('listitem')).toHaveCount(1);
    await list.getByRole('link').first().click();
    const gate = page
      .getByRole('region', { name: /^Policies/ })
      .getByRole('listitem')
      .filter({ hasText: 'Off-Hours Change Gate' });
    // The viewer's zone is the browser's: Playwright's timezoneId (UTC unless the matrix sets one).
    // On 10 March 2026 Istanbul is UTC+3 and Los Angeles already on daylight time, UTC−7.
    const yours: Record<string, string> = { UTC: '15:00–06:00 your time, UTC', 'America/Los_Angeles': '08:00–23:00 your time, Los Angeles' };
    const expected = yours[timezoneId ?? 'UTC'];
    const line = gate.getByText(/^Applies /);
    await expect(line).toHaveText(/^Applies 18:00–09:00 and weekends, Istanbul time \(.+\)$/);
    if (expected) await expect(line).toHaveText(`Applies 18:00–09:00 and weekends, Istanbul time (${expected})`);
  });
});
