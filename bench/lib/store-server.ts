/**
 * bench:fleet's store process, forked by bench/fleet.ts: one SqliteStore, served to the monitor and backstop
 * processes over a unix socket, as one DynamoDB table serves every host and Lambda in AWS.
 *
 * Why a process of its own: node:sqlite runs in its caller's thread, and five processes writing one file
 * (1,000 monitors' heartbeats, ~2,000 writes a second) each stopped whole while another held the write lock, so
 * the monitors missed their rounds. Here every call is one message and a reply; the workers' event loops never
 * wait on a lock. Each call runs to completion before the next (node:sqlite is synchronous), so the conditional
 * writes stay atomic as they are in DynamoDB.
 */
import { createServer, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import type { Store } from '../../src/ports/store.js';
import { frame, frameReader, type StoreRequest } from './store-wire.js';

export type ToStoreServer =
  | { type: 'start'; dbPath: string; socketPath: string }
  /** The outage begins: load is counted from here. */
  | { type: 'reset-load' }
  | { type: 'stop' };
export type FromStoreServer =
  | { type: 'listening' }
  | {
      type: 'load';
      calls: number;
      busyMs: number;
      maxMs: number;
      loopP99Ms: number;
      loopMaxMs: number;
      /** Calls by "method namespace", most first. */
      byMethod: Record<string, number>;
    };

/** The Store methods a client may call (anything else is refused, not looked up on the object). */
const STORE_METHODS = [
  'get',
  'create',
  'put',
  'compareAndSet',
  'delete',
  'extendIfToken',
  'deleteIfToken',
  'list',
  'getMany',
  'listAllSites',
  'advance',
  'appendAudit',
  'listAudit',
  'pageAudit',
] as const satisfies ReadonlyArray<keyof Store>;

const send = (m: FromStoreServer) => process.send?.(m);
const loop = monitorEventLoopDelay({ resolution: 10 });
const load = { calls: 0, busyMs: 0, maxMs: 0 };
const byMethod = new Map<string, number>();

function serve(store: SqliteStore, socket: Socket): void {
  const allowed = new Set<string>(STORE_METHODS);
  const methods = store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const fail = (id: number, err: unknown) =>
    socket.write(frame({ id, ok: false, error: err instanceof Error ? err.message : String(err) }));
  socket.on(
    'data',
    frameReader<StoreRequest>((req) => {
      if (!allowed.has(req.method)) return void fail(req.id, new Error(`no store method ${req.method}`));
      // SqliteStore's methods never await: the whole call (SQLite included) runs inside apply(), so this is the
      // time the store process was busy with it.
      const t = performance.now();
      const settled = methods[req.method]!.apply(store, req.args);
      const ms = performance.now() - t;
      load.calls++;
      load.busyMs += ms;
      load.maxMs = Math.max(load.maxMs, ms);
      const what = `${req.method} ${typeof req.args[0] === 'string' ? req.args[0] : ''}`;
      byMethod.set(what, (byMethod.get(what) ?? 0) + 1);
      settled.then(
        (value) => socket.write(frame({ id: req.id, ok: true, value })),
        (err: unknown) => fail(req.id, err),
      );
    }),
  );
  socket.on('error', () => socket.destroy());
}

let stopStore: (() => Promise<void>) | undefined;

process.on('message', (msg: ToStoreServer) => {
  if (msg.type === 'start') {
    const store = new SqliteStore({ path: msg.dbPath });
    const server = createServer((socket) => serve(store, socket));
    server.listen(msg.socketPath, () => send({ type: 'listening' }));
    stopStore = async () => {
      server.close();
      await store.close();
    };
  } else if (msg.type === 'reset-load') {
    loop.reset();
    Object.assign(load, { calls: 0, busyMs: 0, maxMs: 0 });
    byMethod.clear();
  } else if (msg.type === 'stop') {
    send({
      type: 'load',
      calls: load.calls,
      busyMs: Math.round(load.busyMs),
      maxMs: Math.round(load.maxMs),
      loopP99Ms: Math.round(loop.percentile(99) / 1e6),
      loopMaxMs: Math.round(loop.max / 1e6),
      byMethod: Object.fromEntries([...byMethod].sort((a, b) => b[1] - a[1])),
    });
    void (stopStore?.() ?? Promise.resolve()).finally(() => process.exit(0));
  }
});

loop.enable();
// A bench that dies must not leave the store process behind.
process.on('disconnect', () => process.exit(1));
