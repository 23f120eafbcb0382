/**
 * A Store served by bench:fleet's store process (bench/lib/store-server.ts) over its unix socket: each call is
 * one request and its reply, so the caller's event loop never waits on SQLite's write lock.
 */
import { connect, type Socket } from 'node:net';
import type { AuditEntry } from '../../src/domain/audit.js';
import type {
  AdvanceRequest,
  AdvanceResult,
  AuditPage,
  AuditPageQuery,
  AuditQuery,
  Store,
  Versioned,
} from '../../src/ports/store.js';
import { frame, frameReader, type StoreReply } from './store-wire.js';

export class SocketStore implements Store {
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** Round trips (ms) of every call, for the bench's report of how long the workers waited on the store. */
  readonly roundTrips: number[] = [];
  timing = false;
  /** Told of every call while timing (method, args, when it was sent and answered, epoch ms). */
  onCall?: (method: string, args: unknown[], sentAt: number, answeredAt: number) => void;

  private constructor(private readonly socket: Socket) {
    socket.on(
      'data',
      frameReader<StoreReply>((reply) => {
        const call = this.waiting.get(reply.id);
        if (!call) return;
        this.waiting.delete(reply.id);
        if (reply.ok) call.resolve(reply.value);
        else call.reject(new Error(reply.error));
      }),
    );
    socket.on('close', () => {
      for (const call of this.waiting.values()) call.reject(new Error('the store process closed its socket'));
      this.waiting.clear();
    });
  }

  static connect(socketPath: string): Promise<SocketStore> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath, () => {
        socket.off('error', reject);
        resolve(new SocketStore(socket));
      });
      socket.once('error', reject);
    });
  }

  private call<T>(method: keyof Store, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    const t = this.timing ? performance.now() : 0;
    const sentAt = t ? Date.now() : 0;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(frame({ id, method, args }));
    }).finally(() => {
      if (!t) return;
      this.roundTrips.push(performance.now() - t);
      this.onCall?.(method, args, sentAt, Date.now());
    });
  }

  get<T>(ns: string, key: string) {
    return this.call<Versioned<T> | null>('get', ns, key);
  }
  create<T>(ns: string, key: string, value: T, ttlMs?: number, token?: string) {
    return this.call<boolean>('create', ns, key, value, ttlMs, token);
  }
  put<T>(ns: string, key: string, value: T, ttlMs?: number) {
    return this.call<number>('put', ns, key, value, ttlMs);
  }
  compareAndSet<T>(
    ns: string,
    key: string,
    expectedVersion: number,
    value: T,
    ttlMs?: number,
    audit?: AuditEntry,
  ) {
    return this.call<boolean>('compareAndSet', ns, key, expectedVersion, value, ttlMs, audit);
  }
  delete(ns: string, key: string, expectedVersion?: number) {
    return this.call<boolean>('delete', ns, key, expectedVersion);
  }
  extendIfToken(ns: string, key: string, token: string, ttlMs: number) {
    return this.call<boolean>('extendIfToken', ns, key, token, ttlMs);
  }
  deleteIfToken(ns: string, key: string, token: string) {
    return this.call<boolean>('deleteIfToken', ns, key, token);
  }
  list<T>(ns: string, opts?: { site?: string }) {
    return this.call<Array<{ key: string } & Versioned<T>>>('list', ns, opts);
  }
  getMany<T>(ns: string, keys: readonly string[]) {
    return this.call<Map<string, Versioned<T>>>('getMany', ns, keys);
  }
  listAllSites<T>(ns: string) {
    return this.call<Array<{ key: string } & Versioned<T>>>('listAllSites', ns);
  }
  advance(ns: string, key: string, request: AdvanceRequest) {
    return this.call<AdvanceResult>('advance', ns, key, request);
  }
  appendAudit(entry: AuditEntry) {
    return this.call<void>('appendAudit', entry);
  }
  listAudit(query?: AuditQuery) {
    return this.call<AuditEntry[]>('listAudit', query);
  }
  pageAudit(query: AuditPageQuery) {
    return this.call<AuditPage>('pageAudit', query);
  }
  /** Closes this client's connection; the store process closes the database when the bench stops it. */
  async close(): Promise<void> {
    this.socket.end();
  }
}
