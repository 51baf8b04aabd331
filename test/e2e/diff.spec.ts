// The diff as a reviewer reads it: a change deep inside a very long line is shown and marked, a
// changed word is marked, split panes scroll sideways on their own with the line numbers kept,
// long file names keep their file name, Viewed marks and the chosen layout are remembered. The
// diffs are the test's own, sent with a request to a separately started backend (remote-server.ts).
import { test, expect, type Page } from '@playwright/test';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const RHEA = 'rhea.manning@example.com';

let remote: RemoteSetup;
test.beforeEach(async () => {
  remote = await startRemote(RHEA);
});
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
  await remote.close();
});

const api = (path: string, init: { method?: string; body?: unknown } = {}) => remoteApi(remote, path, RHEA, init);

/** A deploy request on checkout / staging carrying `diff`, under a revision to search it by. */
async function requestWithDiff(revision: string, diff: string): Promise<void> {
  const { body: p } = await api('/api/projects');
  const projectId = (p.projects as { id: string; name: string }[]).find((x) => x.name === 'checkout')!.id;
  const { body: e } = await api('/api/environments');
  const environmentId = (e.environments as { id: string; name: string; projectId: string }[]).find(
    (x) => x.projectId === projectId && x.name === 'staging',
  )!.id;
  const r = await api('/api/requests', {
    method: 'POST',
    body: { action: 'release.deploy', resource: { projectId, environmentId }, justification: 'Diff viewer test', payload: { revision, diff } },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

function fileDiff(path: string, body: string, start = 1): string {
  const lines = body.split('\n');
  const old = lines.filter((l) => !l.startsWith('+')).length;
  const neu = lines.filter((l) => !l.startsWith('-')).length;
  return `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n@@ -${start},${old} +${start},${neu} @@\n${body}\n`;
}

async function openRequest(page: Page, revision: string) {
  await page.goto(remote.openUrl);
  await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
  const list = page.getByRole('list', { name: 'Approvals inbox' });
  await page.getByRole('textbox', { name: 'Search' }).fill(revision);
  // The search box may still hold the previous search, whose one row is already listed: wait for
  // the row of this revision, not just for one row.
  await expect(list.getByRole('listitem')).toHaveCount(1, { timeout: 20_000 });
  await expect(list.getByRole('listitem')).toContainText(revision);
  await list.getByRole('link').first().click();
  const diff = page.getByRole('region', { name: 'Diff' });
  await expect(diff).toBeVisible({ timeout: 20_000 });
  return diff;
}

test('a change at character 45,000 of a 50,000-character line is shown and highlighted', async ({ page }) => {
  const head = 'word '.repeat(9_000);
  const tail = ' tail'.repeat(1_000);
  const oldLine = `  "blob": "${head}OLDVALUE${tail}"`;
  const newLine = `  "blob": "${head}NEWVALUE${tail}"`;
  expect(newLine.indexOf('NEWVALUE')).toBeGreaterThan(45_000);
  await requestWithDiff('checkout@longline1', fileDiff('config/blob.json', ` {\n-${oldLine}\n+${newLine}\n }`));

  const diff = await openRequest(page, 'checkout@longline1');
  const added = diff.locator('mark', { hasText: 'NEWVALUE' });
  await expect(added).toBeVisible();
  await expect(added).toBeInViewport();
  await expect(diff.locator('mark', { hasText: 'OLDVALUE' })).toBeInViewport();
  // what is left out is said, and can be shown
  const before = diff.getByRole('button', { name: /^show 4\d,\d{3} more characters$/ }).first();
  await expect(before).toBeVisible();
  await before.click();
  await expect(diff.getByRole('button', { name: /^show 3\d,\d{3} more characters$/ }).first()).toBeVisible();
  await expect(added).toBeVisible();
});

test('a changed word is highlighted in the changed line', async ({ page }) => {
  await requestWithDiff(
    'checkout@words1',
    fileDiff('deploy/checkout.yaml', ' spec:\n-  image: registry.example.com/checkout:stable\n+  image: registry.example.com/checkout:canary\n   replicas: 3'),
  );
  const diff = await openRequest(page, 'checkout@words1');
  await expect(diff.locator('mark', { hasText: 'canary' })).toBeVisible();
  await expect(diff.locator('mark', { hasText: 'stable' })).toBeVisible();
  // the unchanged part of the line is not marked
  await expect(diff.locator('mark', { hasText: 'registry' })).toHaveCount(0);
});

test.describe('at 1024×700', () => {
  test.use({ viewport: { width: 1024, height: 700 } });

  test('split view scrolls each side sideways, and the line numbers stay', async ({ page }) => {
    const filler = 'x'.repeat(300);
    await requestWithDiff('checkout@split1', fileDiff('src/app.ts', `-const a = "${filler} OLDEND";\n+const a = "${filler} NEWEND";`, 41));
    const diff = await openRequest(page, 'checkout@split1');
    await diff.getByRole('button', { name: 'Split' }).click();
    await expect(diff.getByRole('button', { name: 'Split' })).toHaveAttribute('aria-pressed', 'true');

    const oldSide = diff.locator('.pair .c.h.del');
    const newSide = diff.locator('.pair .c.h.add');
    const oldEnd = oldSide.locator('mark', { hasText: 'OLDEND' });
    const newEnd = newSide.locator('mark', { hasText: 'NEWEND' });
    await expect(oldEnd).not.toBeInViewport();
    await expect(newEnd).not.toBeInViewport();
    const boxBefore = await oldSide.boundingBox();

    await oldSide.hover();
    await page.mouse.wheel(3000, 0);
    await expect(oldEnd).toBeInViewport();
    await expect(newEnd).not.toBeInViewport(); // the other side did not move

    await newSide.hover();
    await page.mouse.wheel(3000, 0);
    await expect(newEnd).toBeInViewport();

    // the line numbers are the panes' gutters: still in place, still numbered
    expect(await oldSide.boundingBox()).toEqual(boxBefore);
    expect(await oldSide.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el, '::before').content)).toBe('"41"');
    expect(await newSide.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el, '::before').content)).toBe('"41"');
    const gutterWidth = await oldSide.evaluate((el) => Number.parseFloat(el.ownerDocument.defaultView!.getComputedStyle(el, '::before').width));
    expect(gutterWidth).toBeGreaterThan(10);
  });
});

test('a long file name keeps its file name, with the whole path on hover', async ({ page }) => {
  const long = 'deploy/kube-prometheus/manifests/node-exporter/templates/generated/daemonsets-0.yaml';
  await requestWithDiff('checkout@names1', fileDiff(long, '-a: 1\n+a: 2') + fileDiff('README.md', '-old\n+new'));
  const diff = await openRequest(page, 'checkout@names1');
  const item = diff.getByRole('navigation', { name: 'Files' }).getByRole('button', { name: new RegExp(`^${long.replaceAll('.', '\\.')}`) });
  // the middle of the path gives way; the file name is whole
  await expect(item).toHaveText(/^(deploy\/)?(kube-prometheus\/)?…\/daemonsets-0\.yaml$/);
  await item.hover();
  await expect(item).toHaveAttribute('title', long);
  const header = diff.getByTitle(long, { exact: true }).last();
  await expect(header).toHaveText(/^deploy\/.*daemonsets-0\.yaml$/);
});

test('a file marked viewed stays viewed and collapsed after a reload', async ({ page }) => {
  await requestWithDiff('checkout@viewed1', fileDiff('deploy/a.yaml', '-replicas: 1\n+replicas: 2') + fileDiff('deploy/b.yaml', '-cpu: 1\n+cpu: 2'));
  const diff = await openRequest(page, 'checkout@viewed1');
  await expect(diff.getByText('0 of 2 files viewed')).toBeVisible();
  await expect(diff.getByText('replicas: 2')).toBeVisible();
  await diff.getByRole('checkbox', { name: 'Viewed deploy/a.yaml' }).check();
  await expect(diff.getByText('1 of 2 files viewed')).toBeVisible();
  await expect(diff.getByText('replicas: 2')).toHaveCount(0);

  await page.reload();
  const again = page.getByRole('region', { name: 'Diff' });
  await expect(again.getByRole('checkbox', { name: 'Viewed deploy/a.yaml' })).toBeChecked({ timeout: 20_000 });
  await expect(again.getByText('1 of 2 files viewed')).toBeVisible();
  await expect(again.getByText('replicas: 2')).toHaveCount(0);
  await expect(again.getByText('cpu: 2')).toBeVisible();
});

test('the chosen layout is kept on another request and after a reload', async ({ page }) => {
  await requestWithDiff('checkout@modeA1', fileDiff('a.txt', '-one\n+two'));
  await requestWithDiff('checkout@modeB1', fileDiff('b.txt', '-three\n+four'));
  let diff = await openRequest(page, 'checkout@modeA1');
  await diff.getByRole('button', { name: 'Split' }).click();
  await expect(diff.getByRole('button', { name: 'Split' })).toHaveAttribute('aria-pressed', 'true');

  diff = await openRequest(page, 'checkout@modeB1');
  await expect(diff.getByText('four')).toBeVisible();
  await expect(diff.getByRole('button', { name: 'Split' })).toHaveAttribute('aria-pressed', 'true');
  await page.reload();
  await expect(page.getByRole('region', { name: 'Diff' }).getByRole('button', { name: 'Split' })).toHaveAttribute('aria-pressed', 'true', { timeout: 20_000 });
});
