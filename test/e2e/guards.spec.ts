// Words and guards: the break-glass form says who may start a session and is disabled for
// everyone else; another person's break-glass session shows on every console; freeze toasts tell
// applied from queued; unfreeze and sign-out ask first; the audit log reads in words and its
// export follows the filters; settings refuse what they cannot use, next to the field.
import { readFileSync } from 'node:fs';
import { test as base, expect, type Page } from '@playwright/test';
import { screen, test } from './fixtures.ts';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const RHEA = 'rhea.manning@example.com';
const INES = 'ines.duarte@example.com';
const ADAM = 'adam.kowalski@example.com';
const WHO_MAY = 'Only Adam Kowalski (Admin), Ines Duarte (breakglass role) and Olivia Hart (Owner) can start a break-glass session.';

const api = remoteApi;

async function online(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
}

test('the break-glass form names who may start a session and is disabled for the release manager', async ({ page, app }) => {
  void app;
  await page.getByRole('link', { name: 'Break-glass' }).click();
  await expect(page.getByText(WHO_MAY)).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Reason' })).toBeDisabled();
  await expect(page.getByRole('checkbox', { name: 'Deploy', exact: true })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Start break-glass session' })).toBeDisabled();
});

base.describe('against a separate backend', () => {
  let remote: RemoteSetup;
  base.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
  });

  base("the release manager's console shows the incident commander's break-glass session", async ({ page }) => {
    remote = await startRemote(RHEA);
    await online(page, remote.openUrl);
    await expect(page.getByRole('alert', { name: /Break-glass session of/ })).toHaveCount(0);

    // Ines starts one from her own client.
    const started = await api(remote, '/api/breakglass', INES, {
      method: 'POST',
      body: { reason: 'INC-4401: PSP outage, roll back payments now', scope: { actions: ['rollback.execute', 'release.deploy'] }, durationMinutes: 45 },
    });
    expect(started.status).toBe(201);

    const banner = page.getByRole('alert', { name: 'Break-glass session of Ines Duarte' });
    await expect(banner).toBeVisible({ timeout: 20_000 });
    await expect(banner).toContainText('Ines Duarte is using break-glass');
    await expect(banner).toContainText('Rollback');
    await expect(banner).toContainText('Deploy');
    await expect(banner).toContainText('all environments');
    await expect(banner).toContainText(/until .*\d{1,2}:\d\d/);
    await expect(banner.getByLabel('time left')).toHaveText(/^(44|45):\d\d$/);
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await screen(page, 'breakglass-banner-other', theme);
    }
    // Rhea cannot end someone else's session from the banner.
    await expect(banner.getByRole('button', { name: 'End session' })).toHaveCount(0);

    // On every screen, with the details a click away.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect(banner).toBeVisible();
    await banner.getByRole('link', { name: 'Details' }).click();
    await expect(page.getByRole('region', { name: 'Other active sessions' })).toContainText('Ines Duarte');

    // Ended by Ines: the banner goes.
    await api(remote, `/api/breakglass/${started.body.session.id}/revoke`, INES, { method: 'POST', body: {} });
    await expect(banner).toHaveCount(0, { timeout: 20_000 });
  });

  base('the break-glass form follows the directory: a role taken away disables it', async ({ page }) => {
    remote = await startRemote(INES);
    await online(page, remote.openUrl);
    await page.getByRole('link', { name: 'Break-glass' }).click();
    const reason = page.getByRole('textbox', { name: 'Reason' });
    await expect(reason).toBeEnabled();
    await reason.fill('INC-4402: typed before the role went');

    const { body } = await api(remote, '/api/users', ADAM);
    const ines = (body.users as { id: string; email: string }[]).find((u) => u.email === INES)!;
    expect((await api(remote, `/api/users/${ines.id}`, ADAM, { method: 'PATCH', body: { roles: [] } })).status).toBe(200);

    await expect(page.getByText('Only Adam Kowalski (Admin) and Olivia Hart (Owner) can start a break-glass session.')).toBeVisible({ timeout: 20_000 });
    await expect(page.getByRole('button', { name: 'Start break-glass session' })).toBeDisabled();
    // What was typed is still there.
    await expect(reason).toHaveValue('INC-4402: typed before the role went');
  });

  base('a start the server refuses keeps the typed reason and shows the server’s words', async ({ page }) => {
    remote = await startRemote(INES);
    await online(page, remote.openUrl);
    await page.getByRole('link', { name: 'Break-glass' }).click();
    const reason = page.getByRole('textbox', { name: 'Reason' });
    await reason.fill('INC-4403: payments down, rolling back');

    // Offline, Ines's start is queued; meanwhile an admin takes her breakglass role away.
    await remote.killServer();
    await expect(page.getByRole('status')).toContainText('Offline', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Start break-glass session' }).click();
    await expect(page.getByRole('region', { name: 'Session start queued' })).toBeVisible();
    const elsewhere = await remote.serveElsewhere();
    try {
      const at = { ...remote, serverUrl: elsewhere.url };
      const { body } = await api(at, '/api/users', ADAM);
      const ines = (body.users as { id: string; email: string }[]).find((u) => u.email === INES)!;
      expect((await api(at, `/api/users/${ines.id}`, ADAM, { method: 'PATCH', body: { roles: [] } })).status).toBe(200);
    } finally {
      await elsewhere.stop();
    }

    // Back online: the queued start is refused; the form returns with the reason as typed.
    await remote.restartServer();
    const refusal = page.getByRole('alert').filter({ hasText: 'Your break-glass session was not started.' });
    await expect(refusal).toContainText('The server said: “only owners, admins and holders of the breakglass role can start a break-glass session”', {
      timeout: 30_000,
    });
    await expect(reason).toHaveValue('INC-4403: payments down, rolling back');
    await expect(page.getByText('Only Adam Kowalski (Admin) and Olivia Hart (Owner) can start a break-glass session.').first()).toBeVisible({
      timeout: 20_000,
    });
  });

  base('freeze toasts say what happened, unfreeze and sign-out ask first, naming what is unsent', async ({ page }) => {
    remote = await startRemote(RHEA);
    await online(page, remote.openUrl);
    await page.getByRole('link', { name: 'Environments' }).click();
    const toasts = page.locator('.flash');

    // A one-letter reason is refused next to the field.
    const production = page.getByRole('article', { name: 'checkout / production' });
    await production.getByRole('button', { name: 'Freeze', exact: true }).click();
    const submit = page.getByRole('button', { name: 'Freeze environment' });
    await page.getByRole('textbox', { name: 'Reason' }).fill('x');
    await expect(page.getByText('At least 3 characters — 2 more.')).toBeVisible();
    await expect(submit).toBeDisabled();

    // Online: the server applies it, and the toast says so.
    await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4500: checkout errors');
    await submit.click();
    await expect(toasts).toContainText('Frozen: checkout / production', { timeout: 20_000 });
    await expect(toasts).not.toContainText('queued');
    await expect(production).toContainText('Frozen by Rhea Manning');

    // Unfreeze asks first, naming the environment; Cancel leaves it frozen.
    await production.getByRole('button', { name: 'Unfreeze', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Unfreeze checkout / production?' });
    await expect(confirm).toContainText('INC-4500: checkout errors');
    await screen(page, 'environments-unfreeze-confirm', 'light');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm).toHaveCount(0);
    await expect(production).toContainText('Frozen by Rhea Manning');
    await expect(production.getByRole('link', { name: 'Unfreeze awaiting approval' })).toHaveCount(0);

    // Offline: queued, and the toast says that instead.
    await remote.killServer();
    await expect(page.getByRole('status')).toContainText('Offline', { timeout: 20_000 });
    const staging = page.getByRole('article', { name: 'checkout / staging' });
    await staging.getByRole('button', { name: 'Freeze', exact: true }).click();
    await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4500: hold staging too');
    await page.getByRole('button', { name: 'Freeze environment' }).click();
    await expect(toasts).toContainText('Freeze of checkout / staging queued — sent when back online', { timeout: 20_000 });

    // And an approval, offline too.
    await page.getByRole('link', { name: 'Inbox' }).click();
    const list = page.getByRole('list', { name: 'Approvals inbox' });
    await page.getByRole('textbox', { name: 'Search' }).fill('search@a81c3de');
    await expect(list.getByRole('listitem')).toHaveCount(1);
    await list.getByRole('link').first().click();
    await page.getByRole('textbox', { name: 'Comment' }).fill('Approved from the train.');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('2 queued', { timeout: 10_000 });

    // Sign-out asks, and names what has not reached the server.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    const signOut = page.getByRole('dialog', { name: 'Sign out?' });
    await screen(page, 'settings-sign-out-confirm', 'light');
    await expect(signOut.getByTestId('unsent')).toHaveText(
      '2 changes not sent yet: Freeze ‘checkout / staging’, Approve ‘Deploy search / production’; signing out sets them aside, unsent.',
    );
    await signOut.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signOut.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 20_000 });
  });
});

test('the audit log reads in words, and an export with a filter has only the filtered rows', async ({ page, app }) => {
  void app;
  await page.getByRole('link', { name: 'Audit log' }).click();
  const table = page.getByRole('table', { name: 'Audit events' });
  await expect(table.getByRole('row').nth(1)).toBeVisible({ timeout: 20_000 });
  // Event types, people and requests in words, not ids.
  await expect(table).toContainText('Request created');
  await expect(table).not.toContainText('request.created');
  await expect(table).not.toContainText(/\busr_|\breq_/);
  await expect(table).toContainText(/(Deploy|Rollback|Promote|Apply manifest)[^\n]* \/ /);
  await expect(table).toContainText('Justification:');
  await expect(table).not.toContainText('{"');
  await screen(page, 'audit-words', 'light');

  // The search finds what the rows say in words.
  await page.getByRole('searchbox', { name: 'Filter events' }).fill('approval given');
  await expect(table.getByRole('row').nth(1)).toContainText('Approval given');
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // Filter to the policies created, then export: the file has those rows and no others.
  await page.getByRole('combobox', { name: 'Event type' }).selectOption({ label: 'Policy created' });
  await expect(table).toContainText('Production Deploy Gate');
  const shown = (await table.getByRole('row').count()) - 1;
  expect(shown).toBeGreaterThan(1);
  await expect(page.getByTestId('export-scope')).toHaveText(`Exports have these ${shown} events only (clear the filters for the whole, verifiable log).`);

  const jsonl = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export JSONL' }).click();
  const jsonlFile = await jsonl;
  expect(jsonlFile.suggestedFilename()).toMatch(/^gatehouse-audit-\d{4}-\d\d-\d\d-filtered\.jsonl$/);
  const lines = readFileSync((await jsonlFile.path())!, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const events = lines.map((l) => JSON.parse(l) as { type: string; seq: number });
  expect(events).toHaveLength(shown);
  expect(new Set(events.map((e) => e.type))).toEqual(new Set(['policy.created']));

  const csv = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const csvFile = await csv;
  const records = readFileSync((await csvFile.path())!, 'utf8')
    .split('\r\n')
    .filter((l) => /^\d+,/.test(l));
  expect(records).toHaveLength(shown);
  for (const r of records) expect(r.split(',')[3]).toBe('policy.created');
  expect(records.map((r) => Number(r.split(',')[0]))).toEqual(events.map((e) => e.seq));
});

test('settings refuse what they cannot use, next to the field, and save nothing', async ({ page, app }) => {
  void app;
  await page.getByRole('link', { name: 'Settings' }).click();

  // Quiet hours 09:00–09:00: refused beside the field, the saved hours unchanged.
  await page.getByRole('checkbox', { name: /Silence notifications at night/ }).check();
  await expect(page.getByLabel('From')).toHaveValue('22:00');
  await page.getByLabel('From').fill('09:00');
  await page.getByLabel('Until').fill('09:00');
  // "still" names the hours saved last: 09:00–07:00 once the From change is saved, 22:00–07:00 if
  // Until was typed before that save came back (the test does not wait for it).
  await expect(
    page.getByText(/^Until must differ from the start \(to silence nothing, turn quiet hours off\); not saved \(still (09|22):00–07:00\)\.$/),
  ).toBeVisible();
  await expect(page.getByLabel('Until')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Until').fill('10:00');
  await expect(page.getByText(/Until must differ/)).toHaveCount(0);

  // A negative or absurd disk budget: refused, the saved budget kept.
  const budget = page.getByRole('spinbutton', { name: 'Disk budget (MiB)' });
  await budget.fill('-64');
  await budget.blur();
  await expect(page.getByText('Disk budget must be 0 MiB or more; not saved (still 256 MiB).')).toBeVisible();
  await budget.fill('99999999');
  await budget.blur();
  await expect(page.getByText('Disk budget must be at most 16384 MiB (16 GiB); not saved (still 256 MiB).')).toBeVisible();
  await budget.fill('512');
  await budget.blur();
  await expect(page.getByText(/Disk budget must/)).toHaveCount(0);

  // Reloaded: what was saved is what was valid. The last save leaves on blur and the test does not
  // wait for its answer, so a reload can read the settings before that write has landed: reload
  // until it has (each look is strict; a save that never lands still fails).
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('status')).toContainText(/Online|Syncing/, { timeout: 20_000 });
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByLabel('From')).toHaveValue('09:00', { timeout: 2000 });
    await expect(page.getByLabel('Until')).toHaveValue('10:00', { timeout: 2000 });
    await expect(page.getByRole('spinbutton', { name: 'Disk budget (MiB)' })).toHaveValue('512', { timeout: 2000 });
  }).toPass({ timeout: 45_000 });

  // A malformed server URL is refused before anything is sent.
  await page.getByRole('button', { name: 'Use another server…' }).click();
  await page.getByRole('textbox', { name: 'Server URL' }).fill('htp:/gatehouse');
  await page.getByLabel('API token').fill('not-a-real-token-123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Server URL must be an http:// or https:// URL.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();
});
