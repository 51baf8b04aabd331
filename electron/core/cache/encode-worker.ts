// The request encoder's worker thread (encoder.ts): JSON and deflate (codec.ts) for a slice of
// synced requests, off the core's event loop. Answers {id, blobs} or {id, error}.
import { parentPort } from 'node:worker_threads';
import { encodeJson } from './codec.ts';

parentPort?.on('message', (msg: { id: number; requests: unknown[] }) => {
  try {
    const blobs = msg.requests.map((r) => encodeJson(JSON.stringify(r)));
    parentPort!.postMessage(
      { id: msg.id, blobs },
      blobs.map((b) => b.buffer as ArrayBuffer),
    );
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
