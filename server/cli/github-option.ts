// serve's GitHub App flags: all three of --github-app-id, --github-private-key and
// --github-webhook-secret-file, or none; each checked before the server starts.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GitHubAppConfig } from '../github/api.ts';
import { UsageError } from './args.ts';

export const GITHUB_USAGE = `--github-app-id ID --github-private-key FILE --github-webhook-secret-file FILE make this server
a GitHub App's custom deployment protection rule (docs/github.md): all three or none. The key is
the App's private key as GitHub gives it (PEM); the secret file holds the webhook secret.
--github-api-url (default https://api.github.com; https://HOST/api/v3 for GitHub Enterprise Server).`;

const DEFAULT_API_URL = 'https://api.github.com';

function read(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(err as Error).message}`);
  }
}

export function githubOption(flags: {
  'github-app-id'?: string | undefined;
  'github-private-key'?: string | undefined;
  'github-webhook-secret-file'?: string | undefined;
  'github-api-url'?: string | undefined;
}): GitHubAppConfig | undefined {
  const appId = flags['github-app-id'];
  const keyFile = flags['github-private-key'];
  const secretFile = flags['github-webhook-secret-file'];
  const given = [appId, keyFile, secretFile].filter((x) => x !== undefined).length;
  if (given === 0) {
    if (flags['github-api-url'] !== undefined)
      throw new UsageError('--github-api-url needs --github-app-id, --github-private-key and --github-webhook-secret-file');
    return undefined;
  }
  if (given !== 3) throw new UsageError('--github-app-id, --github-private-key and --github-webhook-secret-file go together: give all three or none');
  if (!/^\d{1,12}$/.test(appId!)) throw new UsageError(`--github-app-id must be the App's numeric id (its settings page shows it), got "${appId}"`);
  let privateKey: GitHubAppConfig['privateKey'];
  try {
    privateKey = createPrivateKey(read(keyFile!, '--github-private-key'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--github-private-key ${keyFile} is not a PEM private key: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new UsageError(`--github-private-key ${keyFile} must be an RSA key (GitHub Apps sign with RS256)`);
  const webhookSecret = read(secretFile!, '--github-webhook-secret-file').toString('utf8').trim();
  if (webhookSecret.length < 16) throw new UsageError(`--github-webhook-secret-file ${secretFile} must hold a secret of at least 16 characters`);
  const apiUrl = (flags['github-api-url'] ?? DEFAULT_API_URL).replace(/\/+$/, '');
  const parsed = URL.canParse(apiUrl) ? new URL(apiUrl) : undefined;
  if (!parsed || !['https:', 'http:'].includes(parsed.protocol) || parsed.search || parsed.hash || parsed.username) {
    throw new UsageError(`--github-api-url must be an https:// URL such as ${DEFAULT_API_URL}, got "${flags['github-api-url']}"`);
  }
  return { appId: appId!, privateKey, webhookSecret, apiUrl };
}
