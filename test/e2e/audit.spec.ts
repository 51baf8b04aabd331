// The audit log: events from the server, the hash chain verified, filters, and an export.
import { test, expect } from './fixtures.ts';

test('open the audit log and see the chain verified', async ({ page, app }) => {
  void app;
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByText(/Chain verified \(\d+ events\)/)).toBeVisible({ timeout: 20_000 });
  // and checked by the desktop itself, the audit witness, up to the newest signed checkpoint
  await expect(page.getByTestId('witnessed')).toContainText(/Checked by this desktop through #\d+/, { timeout: 20_000 });
  const table = page.getByRole('table', { name: 'Audit events' });
  await expect(table.getByRole('row').nth(1)).toBeVisible();
  await expect(table).toContainText('Request created');

  // Filters: by type, then by text. (The owner set the policies up before the demo's month of
  // history, so they are far down a newest-first log until filtered.)
  await page.getByRole('combobox', { name: 'Event type' }).selectOption('policy.created');
  await expect(table).not.toContainText('Request created');
  await expect(table).toContainText('Production Deploy Gate');
  await expect(table).toContainText('Olivia Hart');
  await page.getByRole('searchbox', { name: 'Filter events' }).fill('Incident Freeze');
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(table).toContainText('Request created');

  // Under break-glass the demo has one session (Ines's INC-4471): its start, the rollback under
  // it, its end. Its review, by someone else and not under the session, is not among them.
  await page.getByRole('checkbox', { name: 'Break-glass only' }).check();
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(table).toContainText('Break-glass session started');
  await expect(table).toContainText('Request created');
  await expect(table).toContainText('Break-glass session ended');
  await page.getByRole('checkbox', { name: 'Break-glass only' }).uncheck();

  // Export: a CSV file for auditors.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^gatehouse-audit-\d{4}-\d\d-\d\d\.csv$/);
});
