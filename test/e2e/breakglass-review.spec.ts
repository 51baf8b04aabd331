// Break-glass review: Ines breaks glass, rolls checkout back under it and ends it (over the API);
// the auditor Aisha finds it under Needs review, reads the reason and the action taken under it,
// marks it justified with notes, sees the audit event highlighted and the session leave the list;
// Insights counts what still waits. And Ines cannot review her own session. The backend runs
// apart from web mode (remote-server.ts) to act as two people.
import { test, expect, type Page } from '@playwright/test';
import { screen } from './fixtures.ts';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const INES = 'ines.duarte@example.com';
const AISHA = 'aisha.rahman@example.com';
const REASON = 'INC-5120: checkout 502s after 2.15.0, rolling back now';

let remote: RemoteSetup;
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
  await remote.close();
});

const api = (path: string, email: string, init: { method?: string; body?: unknown } = {}) => remoteApi(remote, path, email, init);

/** Ines starts a session on checkout / production, rolls back under it, and ends it. */
async function inesBreaksGlass(): Promise<{ sessionId: string; requestId: string }> {
  const { body: p } = await api('/api/projects', INES);
  const projectId = (p.projects as { id: string; name: string }[]).find((x) => x.name === 'checkout')!.id;
  const { body: e } = await api('/api/environments', INES);
  const environmentId = (e.environments as { id: string; name: string; projectId: string }[]).find(
    (x) => x.projectId === projectId && x.name === 'production',
  )!.id;
  const started = await api('/api/breakglass', INES, {
    method: 'POST',
    body: { reason: REASON, scope: { actions: ['rollback.execute'], environmentIds: [environmentId] }, durationMinutes: 30 },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const sessionId = started.body.session.id as string;
  const rollback = await api('/api/requests', INES, {
    method: 'POST',
    body: {
      action: 'rollback.execute',
      resource: { environmentId },
      justification: 'INC-5120: back to checkout-api v2.14.3 until the 502s are understood.',
      payload: { revision: 'checkout@v2.14.3', summary: 'rollback checkout-api to v2.14.3' },
    },
  });
  expect(rollback.status, JSON.stringify(rollback.body)).toBe(201);
  expect(rollback.body.request.status).toBe('approved');
  expect(rollback.body.request.breakGlassSessionId).toBe(sessionId);
  const revoked = await api(`/api/breakglass/${sessionId}/revoke`, INES, { method: 'POST' });
  expect(revoked.status).toBe(200);
  return { sessionId, requestId: rollback.body.request.id as string };
}

async function openBreakGlass(page: Page) {
  await page.goto(remote.openUrl);
  await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
  await page.getByRole('link', { name: 'Break-glass' }).click();
  return page.getByRole('region', { name: 'Needs review' });
}

test('an auditor reviews an ended session: reason, actions, notes, Mark justified, the audit event highlighted, gone from Needs review', async ({ page }) => {
  remote = await startRemote(AISHA);
  const { requestId } = await inesBreaksGlass();
  const needs = await openBreakGlass(page);
  const row = needs.getByRole('link', { name: /INC-5120/ });
  await expect(row).toBeVisible({ timeout: 20_000 });
  await expect(row).toContainText('Ines Duarte');
  await expect(row).toContainText(/ended .*UTC/);
  // The demo's own unreviewed session waits too, the longest-waiting first.
  await expect(needs.getByRole('listitem')).toHaveCount(2);
  await expect(needs.getByRole('listitem').first()).toContainText('INC-4471');
  await expect(needs.getByText(/can review break-glass sessions/)).toHaveCount(0);

  // Insights shows both waiting, the oldest first, linked to their reviews.
  await page.getByRole('link', { name: 'Insights' }).click();
  const waiting = page.getByRole('region', { name: 'Break-glass sessions awaiting review' });
  await expect(waiting.getByRole('link')).toHaveCount(2);
  await expect(waiting.getByRole('link').first()).toContainText('INC-4471');
  await expect(waiting.getByRole('link').nth(1)).toContainText('INC-5120');
  await page.getByRole('link', { name: 'Break-glass' }).click();

  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await needs.scrollIntoViewIfNeeded();
    await screen(page, 'breakglass-needs-review', theme);
  }

  await needs.getByRole('link', { name: /INC-5120/ }).click();
  await expect(page.getByRole('heading', { name: 'Review of Ines Duarte’s break-glass session' })).toBeVisible();
  const why = page.getByRole('region', { name: 'Why and how long' });
  await expect(why).toContainText(REASON);
  await expect(why).toContainText('ended by Ines Duarte');
  await expect(why).toContainText(/UTC/);
  const actions = page.getByRole('region', { name: /Actions taken under this session/ });
  await expect(actions.getByRole('listitem').filter({ hasText: 'rollback checkout-api to v2.14.3' })).toHaveCount(1);
  await expect(actions).toContainText('Rollback');
  await expect(actions).toContainText('checkout / production');
  await expect(actions.getByRole('list', { name: 'Gates bypassed' })).toContainText(/bypassed .*gate/);
  await expect(actions.getByRole('link', { name: /Open request/ })).toHaveAttribute('href', `#/request/${requestId}`);
  const trail = page.getByRole('region', { name: 'Audit trail of the session' });
  await expect(trail).toContainText('Break-glass session started');
  await expect(trail).toContainText('Break-glass session ended');

  const justified = page.getByRole('button', { name: 'Mark justified' });
  await justified.click();
  await expect(page.getByText(/At least 10 characters/)).toBeVisible();
  await page.getByRole('textbox', { name: 'Notes' }).fill('Real outage (INC-5120); the rollback was the fastest safe fix.');
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screen(page, 'breakglass-review', theme);
  }
  await justified.click();

  const recorded = trail.locator('li.recorded');
  await expect(recorded).toHaveCount(1, { timeout: 20_000 });
  await expect(recorded).toContainText('Break-glass session reviewed');
  await expect(recorded).toContainText('Aisha Rahman');
  await expect(recorded).toContainText('Verdict: justified');
  await expect(recorded).toContainText('Just recorded');
  await expect(recorded).toHaveAttribute('aria-current', 'true');
  const verdict = page.getByRole('region', { name: 'Review verdict' });
  await expect(verdict).toContainText('Justified');
  await expect(verdict).toContainText('by Aisha Rahman');
  await expect(page.getByRole('button', { name: 'Mark justified' })).toHaveCount(0);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
    await screen(page, 'breakglass-reviewed', theme);
  }

  // The server has it too, and Needs review no longer lists it.
  const { body } = await api('/api/breakglass?review=pending', AISHA);
  expect((body.sessions as { reason: string }[]).map((s) => s.reason.slice(0, 8))).toEqual(['INC-4471']);
  await page.getByRole('link', { name: '← Break-glass' }).click();
  await expect(needs.getByRole('listitem')).toHaveCount(1);
  await expect(needs).not.toContainText('INC-5120');
  const past = page.getByRole('region', { name: 'Past sessions' });
  await expect(past.getByRole('link', { name: /Justified/ })).toHaveCount(1);
  await page.getByRole('link', { name: 'Insights' }).click();
  await expect(waiting.getByRole('link')).toHaveCount(1);
  await expect(waiting).not.toContainText('INC-5120');
});

test('Ines cannot review her own session: told so, no verdict buttons', async ({ page }) => {
  remote = await startRemote(INES);
  await inesBreaksGlass();
  const needs = await openBreakGlass(page);
  const row = needs.getByRole('link', { name: /INC-5120/ });
  await expect(row).toBeVisible({ timeout: 20_000 });
  await expect(row).toContainText('your session');
  await expect(needs).toContainText('Only Adam Kowalski (Admin), Aisha Rahman (auditor role) and Olivia Hart (Owner) can review break-glass sessions.');
  await row.click();
  const verdict = page.getByRole('region', { name: 'Review verdict' });
  await expect(verdict).toContainText('You cannot review your own break-glass session');
  await expect(page.getByRole('button', { name: 'Mark justified' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Mark unjustified' })).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'Notes' })).toHaveCount(0);
  // The server says the same.
  const { body: list } = await api('/api/breakglass?review=pending', INES);
  const mine = (list.sessions as { id: string; reason: string }[]).find((s) => s.reason === REASON)!;
  const refused = await api(`/api/breakglass/${mine.id}/review`, INES, { method: 'POST', body: { verdict: 'justified', notes: 'it was all fine, trust me' } });
  expect(refused.status).toBe(403);
});

test('offline, the review still reads from the cache and says recording needs the server', async ({ page }) => {
  remote = await startRemote(AISHA);
  const needs = await openBreakGlass(page);
  await needs.getByRole('link', { name: /INC-4471/ }).click();
  const actions = page.getByRole('region', { name: /Actions taken under this session/ });
  await expect(actions).toContainText('rollback search-api to v3.7.1');
  await remote.killServer();
  await expect(page.getByRole('status')).toContainText('Offline', { timeout: 30_000 });
  await page.getByRole('textbox', { name: 'Notes' }).fill('Looked at it while the server was away.');
  await expect(page.getByText('Recording a verdict needs the server: you are offline.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Mark justified' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Mark unjustified' })).toBeDisabled();
  await expect(page.getByRole('region', { name: 'Why and how long' })).toContainText('INC-4471');
});
