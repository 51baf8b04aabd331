// Chromium's sandbox on Linux, for `npm start`. Chromium sandboxes its renderers with unprivileged
// user namespaces; where the kernel refuses them (Ubuntu 23.10+ through AppArmor, Debian's
// unprivileged_userns_clone=0, max_user_namespaces=0) it falls back to the SUID helper
// node_modules/electron/dist/chrome-sandbox, which npm installs owned by the user with mode 0755:
// Electron then aborts at launch ("The SUID sandbox helper binary was found, but is not configured
// correctly"), before any of our code runs. So the check runs before Electron starts
// (scripts/start-electron.ts) and says what to do; main.ts warns when run with --no-sandbox.

export interface SandboxFacts {
  platform: NodeJS.Platform;
  /** The chrome-sandbox helper's owner and mode, or undefined if there is none. */
  helper: { path: string; uid: number; mode: number } | undefined;
  /** Why unprivileged user namespaces are refused, or undefined if they are allowed. */
  usernsRestricted: string | undefined;
}

/** Reads the facts from /proc and the helper's stat (injected, so tests need no real system). */
export function readSandboxFacts(
  platform: NodeJS.Platform,
  helperPath: string,
  fs: { read(path: string): string | undefined; stat(path: string): { uid: number; mode: number } | undefined },
): SandboxFacts {
  if (platform !== 'linux') return { platform, helper: undefined, usernsRestricted: undefined };
  const value = (p: string) => fs.read(p)?.trim();
  let usernsRestricted: string | undefined;
  if (value('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') usernsRestricted = 'AppArmor restricts unprivileged user namespaces';
  else if (value('/proc/sys/kernel/unprivileged_userns_clone') === '0') usernsRestricted = 'kernel.unprivileged_userns_clone is 0';
  else if (value('/proc/sys/user/max_user_namespaces') === '0') usernsRestricted = 'user.max_user_namespaces is 0';
  const st = fs.stat(helperPath);
  return { platform, helper: st ? { path: helperPath, uid: st.uid, mode: st.mode } : undefined, usernsRestricted };
}

/** The helper is usable: owned by root, setuid, mode 4755. */
export function helperConfigured(helper: { uid: number; mode: number }): boolean {
  return helper.uid === 0 && (helper.mode & 0o4000) !== 0 && (helper.mode & 0o777) === 0o755;
}

/** What to tell the user before launching Electron, or undefined when the sandbox will start. */
export function sandboxAdvice(facts: SandboxFacts, helperDisplayPath = 'node_modules/electron/dist/chrome-sandbox'): string | undefined {
  if (facts.platform !== 'linux' || !facts.usernsRestricted || !facts.helper || helperConfigured(facts.helper)) return undefined;
  return [
    `Electron's sandbox cannot start here: ${facts.usernsRestricted}, so Chromium falls back to its SUID helper,`,
    `${helperDisplayPath}, which must be owned by root with mode 4755 (npm installed it as yours).`,
    'Electron would abort at launch ("The SUID sandbox helper binary was found, but is not configured correctly"). Either:',
    `  sudo chown root:root ${helperDisplayPath} && sudo chmod 4755 ${helperDisplayPath}`,
    '  (again after any npm install that reinstalls Electron), or, for development only:',
    '  npm start -- --no-sandbox   (the console then runs without the OS sandbox: never with a real token)',
  ].join('\n');
}

/** main.ts: a line to log when the sandbox is off, or undefined. */
export function noSandboxWarning(o: { noSandboxSwitch: boolean; isPackaged: boolean }): string | undefined {
  if (!o.noSandboxSwitch) return undefined;
  return o.isPackaged
    ? 'running with --no-sandbox: the console has no OS sandbox; install the .deb (its chrome-sandbox is set up) or allow user namespaces instead'
    : 'running with --no-sandbox (development only): the console has no OS sandbox; see README "Start the desktop app" to fix chrome-sandbox';
}
