// Triage the inbox with the keyboard: j/k move, / searches, Enter opens, Escape comes back,
// a approves, x selects for a bulk approve of one revision, ? shows the shortcuts.
import { test, expect, inboxList, ISTANBUL_TUESDAY_11 } from './fixtures.ts';

test('triage the inbox with the keyboard', async ({ page, app }) => {
  void app;
  const list = inboxList(page);
  const rows = list.getByRole('listitem');
  await expect(rows).toHaveCount(13);
  await expect(page.getByRole('status')).toContainText('Online');
  await expect(page.getByRole('button', { name: /^Pending/ })).toContainText('13');

  // j / k move the cursor, and focus follows it.
  await expect(rows.nth(0)).toHaveAttribute('aria-current', 'true');
  await page.keyboard.press('j');
  await expect(rows.nth(1)).toHaveAttribute('aria-current', 'true');
  await expect(rows.nth(1).getByRole('link')).toBeFocused();
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  await expect(rows.nth(1)).toHaveAttribute('aria-current', 'true');
  await expect(rows.nth(0)).not.toHaveAttribute('aria-current', 'true');

  // / focuses the search; the list narrows to the matching requests.
  await page.keyboard.press('/');
  const search = page.getByRole('textbox', { name: 'Search' });
  await expect(search).toBeFocused();
  await page.keyboard.type('checkout@4f2a9c1');
  await expect(rows).toHaveCount(2);
  await expect(list).toContainText('Promotion');

  // Enter leaves the search for the list; j, then Enter opens the request.
  await page.keyboard.press('Enter');
  await expect(rows.nth(0).getByRole('link')).toBeFocused();
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#\/request\/req_/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('checkout / production');
  await expect(page.getByRole('link', { name: 'Inbox' })).toHaveAttribute('aria-current', 'page');

  // Escape goes back, with the search kept.
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(/#\/inbox$/);
  await expect(rows).toHaveCount(2);

  // ? lists the shortcuts; Escape closes them.
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Approve');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // Filter chips: the Cluster group has 4 pending requests.
  await search.fill('');
  await page.getByRole('button', { name: /^Cluster/ }).click();
  await expect(rows).toHaveCount(4);
  await page.getByRole('button', { name: /^Cluster/ }).click();
  await expect(rows).toHaveCount(13);
});

// Who may approve what depends on the hour (the off-hours gate adds approvers and a gate), so
// this test states its instant: Tuesday 11:00 in Istanbul, inside business hours.
test.describe('in Istanbul business hours', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11 });

  test('approve from the keyboard, and bulk approve one revision', async ({ page, app }) => {
    void app;
    const list = inboxList(page);
    const rows = list.getByRole('listitem');
    const search = page.getByRole('textbox', { name: 'Search' });

    // a approves the request under the cursor (after its 5 s undo window); the server's answer comes back through sync.
    await page.keyboard.press('/');
    await page.keyboard.type('payments@9b01e77');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('0 of 3 gates · missing: Restricted: production (1 more approval)');
    await page.keyboard.press('Enter');
    await page.keyboard.press('a');
    await expect(rows.first()).not.toContainText('Restricted: production (1 more approval)', { timeout: 20_000 });
    await expect(rows.first()).not.toContainText('Queued');

    // x selects; two requests of one revision approve together.
    await search.fill('checkout@4f2a9c1');
    await expect(rows).toHaveCount(2);
    await search.press('Enter');
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    const bulk = page.getByRole('button', { name: 'Approve 2 for checkout@4f2a9c1' });
    await expect(bulk).toBeEnabled();
    await bulk.click();
    // One Undo takes both back for 5 s; then they are sent.
    await expect(page.getByRole('region', { name: 'Undo' })).toContainText('Approved 2 requests, without opening the diff — sending in');
    await expect(page.getByText('2 selected')).toBeHidden();
    for (const i of [0, 1]) await expect(rows.nth(i)).not.toContainText('Restricted: production (1 more approval)', { timeout: 20_000 });
    await expect(page.getByRole('status')).not.toContainText('queued');

    // The ineligible one refuses in words, from the keyboard too.
    await search.fill('monitoring@c0ffee1');
    await expect(rows).toHaveCount(1);
    await search.press('Enter');
    await page.keyboard.press('a');
    await expect(page.getByText(/You are not an eligible approver/)).toBeVisible();
    await expect(rows.first()).not.toContainText('Queued');
  });
});
