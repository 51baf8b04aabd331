// How the tests and benchmarks start Chromium: Debian's (or PLAYWRIGHT_CHROMIUM_EXECUTABLE), never a
// browser Playwright downloads, with the flags that keep it off the network this machine doesn't have.
import { existsSync } from 'node:fs';

/** Launch options for Playwright's chromium.launch() and the test config's launchOptions. */
export function chromiumLaunchOptions(): { executablePath?: string; args: string[] } {
  const executablePath = process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  return {
    ...(executablePath ? { executablePath } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  };
}
