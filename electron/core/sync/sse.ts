// The event stream's frames, parsed by eventsource-parser (the WHATWG event-stream format, well
// kept and small; version 4 needs Node 22, so 3.x here). It replaced a hand-written parser: the
// library handles the spec's corners (BOM, CR/LF/CRLF split across chunks, `id` with NUL) that
// ours did by hand, and nothing here is hot enough to be worth owning.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  /** "message" when the frame named none. */
  event: string;
  data: string;
  id?: string;
}

/** Feed decoded text chunks (split anywhere); get back the events each one completed. */
export function sseReader(onComment?: (text: string) => void): (chunk: string) => SseEvent[] {
  let done: SseEvent[] = [];
  const parser = createParser({
    onEvent: (m: EventSourceMessage) => done.push({ event: m.event ?? 'message', data: m.data, ...(m.id !== undefined ? { id: m.id } : {}) }),
    ...(onComment ? { onComment: (text: string) => onComment(text.trim()) } : {}),
  });
  return (chunk) => {
    parser.feed(chunk);
    const out = done;
    done = [];
    return out;
  };
}
