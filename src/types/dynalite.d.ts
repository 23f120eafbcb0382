/** dynalite 4 ships no types: the part the tests use (a DynamoDB-compatible HTTP server backed by LevelDB). */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Time tables stay CREATING (default 500 ms). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    /** LevelDB directory; in memory when absent. */
    path?: string;
    ssl?: boolean;
    verbose?: boolean;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}
