// Comlink ships the adapter as .mjs with a .d.ts beside it, which TypeScript does not pair up.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter';
}
