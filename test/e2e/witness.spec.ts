// The desktop as a witness of the audit chain, end to end: web mode signed in to a separate demo
// server verifies its audit chain; the server is stopped, its whole log rewritten in SQLite with
// every checkpoint deleted, and started again. The server alone would call that chain intact; the
// console shows the witness's banner across the app.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rewriteWholeLogAndDropCheckpoints } from '../tamper.ts';
import { expect, screen, test } from './fixtures.ts';
import { startRemote, type RemoteSetup } from './remote-server.ts';

let remote: RemoteSetup;
test.beforeEach(async () => {
  remote = await startRemote('rhea.manning@example.com');
});
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
  await remote.close();
});

function verifiedSeq(webDir: string): number | undefined {
  const file = join(webDir, 'witness.json');
  if (!existsSync(file)) return undefined;
  const servers = Object.values(JSON.parse(readFileSync(file, 'utf8')).servers as Record<string, { verified?: { checkpoint: { seq: number } } }>);
  return servers[0]?.verified?.checkpoint.seq;
}

test('the server’s audit log rewritten behind its back: the banner says what this desktop verified', async ({ page }) => {
  await page.goto(remote.openUrl);
  await expect(page.getByRole('status')).toContainText(/Online/, { timeout: 20_000 });
  await expect.poll(() => verifiedSeq(remote.webDir), { timeout: 20_000 }).toBeGreaterThan(0);
  const seq = verifiedSeq(remote.webDir)!;
  await expect(page.getByTestId('witness-banner')).toHaveCount(0);

  await remote.stopServer();
  await rewriteWholeLogAndDropCheckpoints(remote.serverDir);
  await remote.restartServer();

  const banner = page.getByRole('alert', { name: 'Audit log alert' });
  await expect(banner).toContainText(
    new RegExp(
      `The server's audit log no longer extends what this desktop verified at seq ${seq} on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: someone may have rewritten history`,
    ),
    { timeout: 30_000 },
  );
  // app-wide: on another screen too
  await page.getByRole('link', { name: 'Environments' }).click();
  await expect(banner).toBeVisible();
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screen(page, 'witness-alert', theme);
  }
});
