// Deliberate decisions: nothing is decided by a stray key. A mistyped go-to decides nothing, reject
// asks why, keyboard approvals wait five seconds with Undo, an approval says whether the diff was
// opened, a half-typed comment survives leaving the request, and Nudge waits out its cooldown.
// Who may approve what depends on the hour (the demo's off-hours gate), so these run at a stated
// instant inside Istanbul business hours, where Rhea is the approver of payments / production.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, inboxList, ISTANBUL_TUESDAY_11, type WebApp } from './fixtures.ts';

test.use({ clock: ISTANBUL_TUESDAY_11 });

/** The deploy of payments@9b01e77 to production: it has a diff, and Rhea is the approver its Restricted gate waits for. */
const PAYMENTS = 'payments@9b01e77';
const WAITING = 'missing: Restricted: production (1 more approval)';

/** Narrows the inbox to one request and puts the keyboard cursor on it. */
async function findInInbox(page: Page, text: string) {
  const rows = inboxList(page).getByRole('listitem');
  const search = page.getByRole('textbox', { name: 'Search' });
  await search.fill(text);
  await expect(rows).toHaveCount(1);
  await search.press('Enter');
  await expect(rows.first().getByRole('link')).toBeFocused();
  return rows.first();
}

async function openRequest(page: Page, text: string) {
  const row = await findInInbox(page, text);
  await row.getByRole('link').click();
  await expect(page).toHaveURL(/#\/request\/req_/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('payments / production');
}

/** The decisions this console queued, as its outbox journal recorded them. */
function queuedOps(app: WebApp): { type: string; reviewedDigest?: string; review?: unknown }[] {
  const file = join(app.dataDir, 'outbox.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { t: string; op?: { type: string } })
    .filter((r) => r.t === 'enqueue')
    .map((r) => r.op as { type: string });
}

test('g then r (a mistyped go-to) decides nothing', async ({ page, app }) => {
  const row = await findInInbox(page, PAYMENTS);
  await page.keyboard.press('g');
  await page.keyboard.press('r');
  await expect(page.getByRole('dialog', { name: /^Reject/ })).toBeHidden();
  await expect(page).toHaveURL(/#\/inbox$/);
  // the r after g reached no screen: later keys are ordinary again, and r alone does ask
  await page.keyboard.press('r');
  await expect(page.getByRole('dialog', { name: /^Reject/ })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: /^Reject/ })).toBeHidden();
  await expect(row).toContainText(WAITING);
  await expect(row).not.toContainText('Queued');
  expect(queuedOps(app)).toEqual([]);

  // On the request screen too.
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('payments / production');
  await page.keyboard.press('g');
  await page.keyboard.press('a');
  await expect(page).toHaveURL(/#\/audit$/, { timeout: 5000 });
  expect(queuedOps(app)).toEqual([]);
});

test('r asks for a comment, and never rejects without one', async ({ page, app }) => {
  const row = await findInInbox(page, PAYMENTS);
  await page.keyboard.press('r');
  const dialog = page.getByRole('dialog', { name: /^Reject Deploy · payments \/ production/ });
  await expect(dialog).toBeVisible();
  const why = dialog.getByRole('textbox', { name: /Why\?/ });
  await expect(why).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('alert')).toHaveText(/A comment is required to reject/);
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  expect(queuedOps(app)).toEqual([]);

  // With a comment, Enter rejects (with 5 s to undo).
  await row.getByRole('link').focus();
  await page.keyboard.press('r');
  await page.keyboard.type('PSP switch needs the finance sign-off first');
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  const undo = page.getByRole('region', { name: 'Undo' });
  await expect(undo).toContainText(/Rejected Deploy · payments \/ production — sending in \d s/);
  // Sent once the window ends: the toast goes, and the server records the rejection with its comment.
  await expect(undo).toBeHidden({ timeout: 20_000 });
  expect(queuedOps(app)).toEqual([{ type: 'reject', requestId: expect.stringMatching(/^req_/), comment: 'PSP switch needs the finance sign-off first' }]);
  await page.getByRole('button', { name: /^Rejected/ }).click();
  await expect(inboxList(page).getByRole('listitem')).toHaveCount(1);
  await inboxList(page).getByRole('link').first().click();
  const timeline = page.getByRole('region', { name: 'Timeline' });
  await expect(timeline).toContainText('Rhea Manning rejected', { timeout: 20_000 });
  await expect(timeline).toContainText('PSP switch needs the finance sign-off first');
});

test('a in the inbox can be undone; without Undo it is approved after the window', async ({ page, app }) => {
  const row = await findInInbox(page, PAYMENTS);
  await page.keyboard.press('a');
  const undo = page.getByRole('region', { name: 'Undo' });
  await expect(undo).toContainText(/Approved Deploy · payments \/ production without opening the diff — sending in \d s/);
  await undo.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByText(/^Undone: Approved Deploy · payments/)).toBeVisible();
  await expect(undo).toBeHidden();
  // Well past the window: still pending, nothing sent.
  await page.waitForTimeout(6500);
  await expect(row).toContainText(WAITING);
  await expect(row).not.toContainText('Queued');

  // z undoes too.
  await row.getByRole('link').focus();
  await page.keyboard.press('a');
  await expect(undo).toContainText('sending in');
  await page.keyboard.press('z');
  await expect(undo).toBeHidden();
  await expect(row).toContainText(WAITING);
  // The toast goes at once; the row stops being queued once the core has taken the entry back.
  await expect(row).not.toContainText('Queued');

  // No Undo: sent once the window ends. Pressed twice, it is queued once.
  await row.getByRole('link').focus();
  await page.keyboard.press('a');
  await expect(undo).toContainText('sending in');
  await page.keyboard.press('a');
  await expect(page.getByText(/^Your decision on Deploy · payments \/ production is already queued/)).toBeVisible();
  await expect(row).toContainText(WAITING);
  await expect(row).not.toContainText(WAITING, { timeout: 20_000 });
  await expect(undo).toBeHidden();
  expect(queuedOps(app).map((o) => o.type)).toEqual(['approve', 'approve', 'approve']);
});

test('a quick approve of a request with a diff is recorded as approved without opening the diff', async ({ page, app }) => {
  const row = await findInInbox(page, PAYMENTS);
  await page.keyboard.press('a');
  await expect(page.getByRole('region', { name: 'Undo' })).toContainText('without opening the diff');
  await expect(row).not.toContainText(WAITING, { timeout: 20_000 });
  const [op] = queuedOps(app);
  expect(op?.reviewedDigest).toBeUndefined();
  expect(op?.review).toEqual({ diffShown: false, filesViewed: 0, filesTotal: 0 });
  await row.getByRole('link').click();
  const timeline = page.getByRole('region', { name: 'Timeline' });
  await expect(timeline).toContainText('Rhea Manning approved', { timeout: 20_000 });
  await expect(timeline).toContainText('approved without opening the diff');
  await expect(timeline).not.toContainText('reviewed this exact diff');
});

test('opening the diff, then approving, records the reviewed digest', async ({ page, app }) => {
  await openRequest(page, PAYMENTS);
  await expect(page.getByRole('region', { name: 'Diff' })).toContainText('"primary": "adyen-eu"');
  await expect(page.getByText(/Approving records that you reviewed this exact diff/)).toBeVisible();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  const timeline = page.getByRole('region', { name: 'Timeline' });
  await expect(timeline).toContainText('Rhea Manning approved', { timeout: 20_000 });
  await expect(timeline).toContainText(/reviewed this exact diff \([0-9a-f]{10}\)/);
  await expect(timeline).not.toContainText('without opening the diff');
  const [op] = queuedOps(app);
  expect(op?.reviewedDigest).toMatch(/^[0-9a-f]{64}$/);
  expect(op?.review).toMatchObject({ diffShown: true });
});

test('a half-typed comment is kept when leaving the request and coming back', async ({ page, app }) => {
  void app;
  await openRequest(page, PAYMENTS);
  const comment = page.getByRole('textbox', { name: 'Comment' });
  await comment.fill('Checked the retry budget; waiting on');
  await page.getByRole('link', { name: 'Back' }).click();
  await expect(page).toHaveURL(/#\/inbox$/);
  await inboxList(page).getByRole('link').first().click();
  await expect(page.getByRole('textbox', { name: 'Comment' })).toHaveValue('Checked the retry budget; waiting on');
});

test('Esc twice does not throw away a typed comment', async ({ page, app }) => {
  void app;
  await openRequest(page, PAYMENTS);
  const comment = page.getByRole('textbox', { name: 'Comment' });
  await comment.fill('Looks right, but');
  await page.keyboard.press('Escape');
  await expect(comment).not.toBeFocused();
  await expect(comment).toHaveValue('Looks right, but');
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(/#\/inbox$/);
  await inboxList(page).getByRole('link').first().click();
  await expect(page.getByRole('textbox', { name: 'Comment' })).toHaveValue('Looks right, but');
});

test('Nudge is disabled after nudging, with when it may be used again', async ({ page, app }) => {
  void app;
  await openRequest(page, PAYMENTS);
  const nudge = page.getByRole('button', { name: 'Nudge' });
  await expect(nudge).toBeEnabled();
  await nudge.click();
  await expect(page.getByText(/^Nudged \d+ (person|people)$/)).toBeVisible();
  await expect(nudge).toBeDisabled();
  await expect(nudge).toHaveAccessibleDescription(/Nudged just now — again in 10 min/);
  await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('Rhea Manning nudged');
});
