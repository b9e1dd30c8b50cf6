// Downloads the Python snapshot file in the Python worker (web/src/python.worker.ts), while the
// page draws its first render. Two answers: the snapshot's length as soon as the file's header is
// in (Pyodide starts compiling then), then the file. Both are null when there is no snapshot
// under this name or it cannot be read.
import { SNAPSHOT_HEADER_SIZE, snapshotLength } from '../../py/host/snapshot-resume.mjs';

export interface SnapshotDownload {
  length: Promise<number | null>;
  file: Promise<Uint8Array | null>;
}

export function downloadSnapshot(url: string): SnapshotDownload {
  let announce!: (length: number | null) => void;
  const length = new Promise<number | null>((done) => (announce = done));
  const file = (async (): Promise<Uint8Array | null> => {
    try {
      const response = await fetch(url);
      if (!response.ok || !response.body) return null;
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
          announce(snapshotLength(joined(chunks, received)));
          announced = true;
        }
      }
      const all = joined(chunks, received);
      snapshotLength(all); // a file shorter than its header is no snapshot either
      return all;
    } catch (error) {
      console.warn('The Python snapshot could not be read:', error);
      return null;
    } finally {
      announce(null); // no-op when the length came first
    }
  })();
  return { length, file };
}

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
