// The wire contract lives in src/wire/protocol.ts; this re-export keeps faces/map.ts and
// faces/parallel-run.ts building until their imports move there (then delete this file).
export * from '../wire/protocol.js';
