// End-to-end tests: web mode (the real desktop core + the embedded demo backend) driven in
// Debian's Chromium. Each test starts its own web mode in a temp data dir (test/e2e/fixtures.ts);
// the global setup builds the renderer first, so the tests never run against a stale build.
import { defineConfig } from '@playwright/test';
// Anchors GATEHOUSE_CLOCK (when set) before any worker or web mode starts, so all of them agree.
import './test/clock.ts';
import { chromiumLaunchOptions } from './test/chromium.ts';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  globalSetup: './test/e2e/global-setup.ts',
  // The pinned-instant matrix runs several suites side by side: each writes its own results.
  outputDir: process.env.GATEHOUSE_TEST_RESULTS ? `${process.env.GATEHOUSE_TEST_RESULTS}/playwright` : 'test-results/playwright',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 800 },
    // The browser's zone is the tests' own, not the machine's.
    timezoneId: process.env.GATEHOUSE_TEST_TZ ?? 'UTC',
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: chromiumLaunchOptions(),
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
