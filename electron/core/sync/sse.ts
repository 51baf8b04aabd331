// A small Server-Sent Events parser (the WHATWG event-stream format): feed it decoded text chunks,
// get whole events back. Comment lines (": heartbeat") are reported apart, so a watchdog can see
// the stream is alive.

export interface SseEvent {
  /** "message" when the frame named none. */
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  #buf = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  /** The last `retry:` the server asked for, in ms. */
  retryMs: number | undefined;

  constructor(private readonly onComment?: (text: string) => void) {}

  /** Parses `chunk` (may split lines anywhere, CRLF/CR/LF line ends) and returns completed events. */
  push(chunk: string): SseEvent[] {
    this.#buf += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buf);
      if (!m) break;
      // a lone CR at the very end may be the first half of CRLF: wait for more
      if (m[0] === '\r' && m.index === this.#buf.length - 1) break;
      const line = this.#buf.slice(0, m.index);
      this.#buf = this.#buf.slice(m.index + m[0].length);
      const ev = this.#line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const ev: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n'), ...(this.#id !== undefined ? { id: this.#id } : {}) };
      this.#event = '';
      this.#data = [];
      return ev;
    }
    if (line.startsWith(':')) {
      this.onComment?.(line.slice(1).trim());
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        this.#id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return undefined;
  }
}
