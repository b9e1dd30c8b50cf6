// Types for make-snapshot.mjs (vite.config.ts imports it).
export declare function snapshotSources(): Array<[string, string]>;
export declare function pyodideVersion(): string;
export declare function currentSnapshotName(): string;
export declare function ensureSnapshot(outDir: string): Promise<string>;
