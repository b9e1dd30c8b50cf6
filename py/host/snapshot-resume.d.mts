// Types for snapshot-resume.mjs (plain JS so that Node runs it as is).
export declare const THAW_MODULE: string;
export declare function snapshotKey(pyodideVersion: string, files: Array<[string, string]>): string;
export declare function snapshotFileName(key: string): string;
export declare const SNAPSHOT_FILE_PATTERN: RegExp;
export declare function resumeFromSnapshot<P>(
  pyodideModule: { loadPyodide(o: object): Promise<P> },
  createPyodideModule: (settings: object) => Promise<unknown>,
  snapshot: { length: PromiseLike<number | null>; file: PromiseLike<Uint8Array | null> },
  options: object,
  lang: string,
): Promise<P>;
export declare function packSnapshot(snapshot: Uint8Array): Uint8Array;
export declare function unpackSnapshot(file: Uint8Array, out?: Uint8Array): Uint8Array;
export declare const SNAPSHOT_HEADER_SIZE: number;
export declare function snapshotLength(file: Uint8Array): number;
