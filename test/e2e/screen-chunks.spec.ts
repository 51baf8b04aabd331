// The first screen is light: the built renderer's entry and what it imports statically hold no
// zod, no schema and no CEL compiler (vite.config.ts keeps them in chunks of their own), and every
// other screen is a chunk fetched when it is first shown. A screen whose chunk fails to load says
// so and loads on Try again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, inboxList } from './fixtures.ts';

const OUT = join(import.meta.dirname, '..', '..', 'out', 'renderer');

/** The chunks the entry loads before it runs: its script, then their static imports, transitively. */
function firstChunks(): string[] {
  const html = readFileSync(join(OUT, 'index.html'), 'utf8');
  const entry = /<script type="module"[^>]*src="\.\/assets\/([^"]+)"/.exec(html)?.[1];
  if (!entry) throw new Error('index.html has no module script');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(OUT, 'assets', file), 'utf8');
    // static imports only: `import{…}from"./x.js"` or `import"./x.js"`, never `import("./x.js")`
    for (const m of code.matchAll(/\bimport(?:\{[^}]*\}from|\*as \w+ from|\s*)"\.\/([^"]+\.js)"/g)) visit(m[1]!);
  };
  visit(entry);
  return [...seen];
}

test('the first screen loads no schema, no zod and no CEL compiler', () => {
  const chunks = firstChunks();
  expect(chunks.length).toBeGreaterThan(0);
  for (const file of chunks) {
    expect(file, 'a chunk kept apart is loaded first').not.toMatch(/^(schemas|cel)-/);
    const map = JSON.parse(readFileSync(join(OUT, 'assets', `${file}.map`), 'utf8')) as { sources: string[] };
    const heavy = map.sources.filter((s) =>
      /node_modules\/(zod|@marcbachmann\/cel-js)\/|shared\/schemas\/(domain|api|notify|github)\.ts|screens\/(?!Inbox)/.test(s),
    );
    expect(heavy, `${file} holds code the inbox does not need`).toEqual([]);
  }
});

test('a screen whose chunk fails to load says so, and loads on Try again', async ({ page, app }) => {
  void app;
  let refuse = true;
  await page.route(/\/assets\/Audit-[\w-]+\.js$/, (route) => (refuse ? route.abort('failed') : route.continue()));
  // A fresh document with the chunk refused from its start: the idle prefetch cannot have fetched it.
  await page.reload();
  await expect(inboxList(page).getByRole('listitem').first()).toContainText(/\w/);
  await page.getByRole('link', { name: 'Audit log', exact: true }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'The Audit log screen could not be loaded' });
  await expect(alert).toBeVisible();
  refuse = false;
  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(alert).toHaveCount(0);
  await expect(page.getByRole('table', { name: 'Audit events' })).toBeVisible();
});
