/// <reference types="vite/client" />

/** node_modules/pyodide's version, from vite.config.ts. */
declare const __PYODIDE_VERSION__: string;

declare module 'gifenc' {
  interface Encoder {
    writeFrame(
      index: Uint8Array,
      width: number,
      height: number,
      opts?: { palette?: number[][]; delay?: number; repeat?: number },
    ): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  export function GIFEncoder(opts?: { auto?: boolean }): Encoder;
  export function quantize(
    rgba: Uint8Array | Uint8ClampedArray,
    maxColors: number,
    opts?: { format?: 'rgb565' | 'rgb444' | 'rgba4444' },
  ): number[][];
  export function applyPalette(
    rgba: Uint8Array | Uint8ClampedArray,
    palette: number[][],
    format?: 'rgb565' | 'rgb444' | 'rgba4444',
  ): Uint8Array;
}

declare module '*.py?raw' {
  const text: string;
  export default text;
}

/** The CSP's connect-src sources the LLM client may reach, from vite.config.ts. */
declare const __LLM_CONNECT_SRC__: string;
