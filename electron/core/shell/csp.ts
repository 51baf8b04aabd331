// The renderer's Content-Security-Policy, built per mode (desktop protocol or web mode): only our
// own scripts and styles, no eval, no plugins, no framing, connections only where IPC travels.
export function rendererCsp(options: { connectSrc?: readonly string[] } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // Svelte sets inline style attributes for transitions; no inline scripts are allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${options.connectSrc?.length ? ` ${options.connectSrc.join(' ')}` : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
