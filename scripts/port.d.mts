// Types for port.mjs (vite.config.ts imports it).
export declare const DEFAULT_PORT: number;
export declare function chosenPort(argv?: string[], env?: Record<string, string | undefined>): number;
export declare function ensurePortFree(host: string, port: number): Promise<void>;
