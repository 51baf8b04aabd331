// The one rule for where a client may send a token: https anywhere; plain http only to this
// machine (127.0.0.0/8, ::1, localhost) unless the user explicitly allows insecure http. Used by
// `gatehouse deploy`, the desktop backend client, sign-in and web mode's --server.

export const ALLOW_INSECURE_HTTP_FLAG = '--allow-insecure-http';

/** True for a URL host (as `new URL().hostname` gives it) that is this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  // IPv4-mapped IPv6 loopback (::ffff:127.x.y.z, which URL normalises to hex).
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(h);
  if (mapped) return Number.parseInt(mapped[1]!, 16) >> 8 === 127;
  // URL normalises every IPv4 spelling (0x7f.1, 2130706433, 127.1) to dotted decimal.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Why a server URL is refused, or undefined when it may be used: not http(s), or plain http to a
 * host that is not loopback without `allowInsecureHttp`.
 */
export function serverUrlProblem(url: string, options: { allowInsecureHttp?: boolean; flag?: string } = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol !== 'http:') return `the server URL must be https:// (or http:// to this machine), got "${url}"`;
  if (isLoopbackHost(parsed.hostname) || options.allowInsecureHttp) return undefined;
  return `refusing plain http to ${parsed.host}: the token would cross the network unencrypted; use https://${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname} or, if you really mean it, ${options.flag ?? ALLOW_INSECURE_HTTP_FLAG}`;
}
