// Downloads the Python snapshot file (web/src/python.ts) off the main thread, which is drawing
// the first render meanwhile. Replies twice: the snapshot's length as soon as the file's header is
// in (Pyodide starts compiling then), then the file, handed over without a copy. Replies null
// when there is no snapshot under this name or it cannot be read.
import { SNAPSHOT_HEADER_SIZE, snapshotLength } from '../../py/host/snapshot-resume.mjs';

export type SnapshotReply = { length: number } | { file: ArrayBuffer } | null;

const reply = (message: SnapshotReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

self.onmessage = async (event: MessageEvent<string>) => {
  try {
    const response = await fetch(event.data);
    if (!response.ok || !response.body) {
      reply(null);
      return;
    }
    // Chunks as they come (a server may not say the length: chunked, or re-encoded on the way).
    const chunks: Uint8Array[] = [];
    let received = 0;
    let announced = false;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (!announced && received >= SNAPSHOT_HEADER_SIZE) {
        reply({ length: snapshotLength(joined(chunks, received)) });
        announced = true;
      }
    }
    const file = joined(chunks, received);
    snapshotLength(file); // a file shorter than its header is no snapshot either
    const buffer = file.byteOffset === 0 && file.byteLength === file.buffer.byteLength ? file.buffer : file.slice().buffer;
    reply({ file: buffer as ArrayBuffer }, [buffer]);
  } catch (error) {
    console.warn('The Python snapshot could not be read:', error);
    reply(null);
  }
};

/** The chunks as one array (which then replaces them, so that joining again is free). */
function joined(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length !== 1) {
    const all = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    chunks.splice(0, chunks.length, all);
  }
  return chunks[0];
}
