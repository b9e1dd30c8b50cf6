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
    const size = Number(response.headers.get('Content-Length'));
    if (!response.ok || !response.body || !(size >= SNAPSHOT_HEADER_SIZE)) {
      reply(null);
      return;
    }
    // One buffer of the announced size, filled as the chunks come: no second copy at the end.
    const file = new Uint8Array(size);
    let received = 0;
    let announced = false;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received + value.length > size) throw new Error('the snapshot file is longer than its Content-Length');
      file.set(value, received);
      received += value.length;
      if (!announced && received >= SNAPSHOT_HEADER_SIZE) {
        reply({ length: snapshotLength(file) });
        announced = true;
      }
    }
    if (received !== size) throw new Error('the snapshot download ended early');
    reply({ file: file.buffer }, [file.buffer]);
  } catch (error) {
    console.warn('The Python snapshot could not be read:', error);
    reply(null);
  }
};
