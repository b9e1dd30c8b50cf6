// Naming and resuming a Pyodide memory snapshot with the pelican package already imported (made
// by py/host/make-snapshot.mjs, resumed by web/src/python.ts). The name covers everything the
// snapshot froze, the Pyodide version and every Python source imported into it, so a page only
// ever resumes a snapshot of the very sources it carries; anything else is another name, a miss.
// Plain JS on purpose: the page and Node (tests/py/snapshot.test.mjs) run the same code.

/**
 * Goes into the name too: raise it whenever make-snapshot.mjs changes what a snapshot holds or
 * how the file is laid out, so that no cache (build/pyodide-snapshot, a browser's) serves an old one.
 */
const SNAPSHOT_RECIPE = 2;

/** The module the page calls after a resume (py/host/pelican_thaw.py), written next to `pelican`. */
export const THAW_MODULE = 'pelican_thaw';

/**
 * @param {string} pyodideVersion
 * @param {Array<[string, string]>} files [path under /home/pyodide, text]
 */
export function snapshotKey(pyodideVersion, files) {
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Two 32-bit lanes with cyrb53's mixing: a cache key, not a signature. Each string goes in
  // behind its length, so no two different file lists feed the same characters.
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const mix = (text) => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  };
  const feed = (text) => {
    mix(`${text.length}:`);
    mix(text);
  };
  feed(`${SNAPSHOT_RECIPE}`);
  feed(pyodideVersion);
  for (const [path, text] of sorted) {
    feed(path);
    feed(text);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hex = (h) => (h >>> 0).toString(16).padStart(8, '0');
  return hex(h2) + hex(h1);
}

// .bin, so that servers send it as application/octet-stream: given no type, vite preview's server
// gzips it on the fly, which costs more than it saves on a local machine.
export function snapshotFileName(key) {
  return `pelican-${key}.snapshot.bin`;
}

export const SNAPSHOT_FILE_PATTERN = /^pelican-[0-9a-f]{16}\.snapshot\.bin$/;

/**
 * Starts Pyodide from a snapshot, then runs py/host/pelican_thaw.py for this visit. Rejects when
 * there is no snapshot (either promise resolves to null) or it cannot be resumed.
 *
 * loadPyodide waits for the snapshot before it compiles and instantiates Pyodide, but reads the
 * bytes only afterwards, to restore them: given a zeroed array of the right length as soon as the
 * length is known (snapshotLength), it compiles while the rest downloads, and the file is
 * unpacked into that array when both are done.
 * @param {{loadPyodide(o: object): Promise<any>}} pyodideModule pyodide.mjs
 * @param {(settings: object) => Promise<any>} createPyodideModule pyodide.asm.mjs's default export
 * @param {{length: PromiseLike<number | null>, file: PromiseLike<Uint8Array | null>}} snapshot
 *   the file's length from its header, then the whole (packSnapshot) file
 * @param {object} options loadPyodide's options
 * @param {string} lang LANG as a fresh start here would have it
 */
export async function resumeFromSnapshot(pyodideModule, createPyodideModule, snapshot, options, lang) {
  const missing = () => new Error('there is no Python snapshot for these sources');
  const restored = Promise.resolve(snapshot.length).then((length) => {
    if (!length) throw missing();
    return new Uint8Array(length);
  });
  const pyodide = await pyodideModule.loadPyodide({
    ...options,
    _loadSnapshot: restored,
    createPyodideModule: async (settings) => {
      const [module, into, file] = await Promise.all([createPyodideModule(settings), restored, snapshot.file]);
      if (!file) throw missing();
      unpackSnapshot(file, into);
      // This Pyodide ignores the INITIAL_MEMORY it asks for, and importing pelican grew the
      // memory past the initial size: without room, the restore's copy would overflow.
      if (module.HEAP8.length < into.length) module.growMemory(into.length);
      return module;
    },
  });
  pyodide.runPython(`import ${THAW_MODULE}\n${THAW_MODULE}.thaw(${JSON.stringify(lang)})`);
  return pyodide;
}

// The file holds the snapshot without its all-zero pages (40% of Pyodide's memory after start-up):
// 22 MiB instead of 37 to carry to the page, and nothing to inflate. Gzip would make the file
// smaller still, but inflating 37 MiB costs the page more time than the bytes it saves.
// Layout: magic, SNAPSHOT_RECIPE, snapshot length, page size (u32 LE each), one byte per page
// (1: stored), then the stored pages in order (the last one may be short).
const PACK_MAGIC = 0x4e534c50; // "PLSN"
/** Bytes of the file needed to know the snapshot's length. */
export const SNAPSHOT_HEADER_SIZE = 16;
const PAGE = 4096;

/** @param {Uint8Array} snapshot what makeMemorySnapshot() returned */
export function packSnapshot(snapshot) {
  const pages = Math.ceil(snapshot.length / PAGE);
  const stored = new Uint8Array(pages);
  let size = SNAPSHOT_HEADER_SIZE + pages;
  for (let p = 0; p < pages; p++) {
    const page = snapshot.subarray(p * PAGE, (p + 1) * PAGE);
    if (page.some((b) => b !== 0)) {
      stored[p] = 1;
      size += page.length;
    }
  }
  const out = new Uint8Array(size);
  const header = new DataView(out.buffer);
  header.setUint32(0, PACK_MAGIC, true);
  header.setUint32(4, SNAPSHOT_RECIPE, true);
  header.setUint32(8, snapshot.length, true);
  header.setUint32(12, PAGE, true);
  out.set(stored, SNAPSHOT_HEADER_SIZE);
  let at = SNAPSHOT_HEADER_SIZE + pages;
  for (let p = 0; p < pages; p++) {
    if (!stored[p]) continue;
    const page = snapshot.subarray(p * PAGE, (p + 1) * PAGE);
    out.set(page, at);
    at += page.length;
  }
  return out;
}

/** @param {Uint8Array} file the start of a packSnapshot() result; returns the snapshot's length */
export function snapshotLength(file) {
  const header = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (
    file.byteLength < SNAPSHOT_HEADER_SIZE ||
    header.getUint32(0, true) !== PACK_MAGIC ||
    header.getUint32(4, true) !== SNAPSHOT_RECIPE
  ) {
    throw new Error('not a pelican snapshot file (or one made by another version of make-snapshot.mjs)');
  }
  return header.getUint32(8, true);
}

/**
 * @param {Uint8Array} file a packSnapshot() result
 * @param {Uint8Array} [out] zeroed, snapshotLength(file) long (the fewer bytes written the better:
 *   fresh memory is slow to touch)
 * @returns {Uint8Array} the snapshot
 */
export function unpackSnapshot(file, out = new Uint8Array(snapshotLength(file))) {
  const length = snapshotLength(file);
  if (out.length !== length) throw new Error(`pelican snapshot file holds ${length} bytes, not ${out.length}`);
  const page = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(12, true);
  const pages = Math.ceil(length / page);
  const stored = file.subarray(SNAPSHOT_HEADER_SIZE, SNAPSHOT_HEADER_SIZE + pages);
  let at = SNAPSHOT_HEADER_SIZE + pages;
  for (let p = 0; p < pages; p++) {
    if (!stored[p]) continue;
    const size = Math.min(page, length - p * page);
    if (at + size > file.byteLength) throw new Error('pelican snapshot file is truncated');
    out.set(file.subarray(at, at + size), p * page);
    at += size;
  }
  if (at !== file.byteLength) throw new Error('pelican snapshot file has trailing bytes');
  return out;
}
