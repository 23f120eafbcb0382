import type { IncomingMessage } from 'node:http';
import type { BodyBudget } from './body-budget.js';

/** A request without Content-Length (or with 0) and not chunked has no body: nothing to read or budget. */
export const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

export type BodyRefusal = 'too-large' | 'busy' | 'timeout';

/**
 * The body, or why it was refused: larger than `max`, the server's bytes in flight spent, or not complete in
 * time. Bytes are taken from the budget as they arrive; on a refusal they are given back and dropped at once,
 * on success the caller gives them back when the handler is done with them.
 */
export function readBody(
  req: IncomingMessage,
  max: number,
  budget: BodyBudget,
): Promise<Buffer | BodyRefusal> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      req.removeListener('data', onData);
      return true;
    };
    const refuseWith = (why: BodyRefusal): void => {
      if (!settle()) return;
      budget.give(size);
      chunks.length = 0;
      resolve(why);
    };
    const fail = (err: Error): void => {
      if (!settle()) return;
      budget.give(size);
      chunks.length = 0;
      reject(err);
    };
    const timer = setTimeout(() => refuseWith('timeout'), budget.limits.readTimeoutMs);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > max) refuseWith('too-large');
      else if (!budget.take(chunk.length)) refuseWith('busy');
      else {
        size += chunk.length;
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settle()) resolve(Buffer.concat(chunks, size));
    });
    req.once('error', fail);
    req.once('close', () => {
      if (!req.complete) fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}

/** What is read and dropped before answering 413 (a "lingering close"): bounded in bytes and time. */
const DISCARD_MAX = 64 * 1024 * 1024;
const DISCARD_MS = 5_000;

/**
 * Reads and drops the rest of a body we refuse, so the client (many only read the answer once their upload
 * is done) gets the answer instead of a reset; nothing is kept. Resolves true when the body ended, false
 * when it went past the bounds (then the connection is closed after the answer).
 */
export function discardRest(req: IncomingMessage): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let dropped = 0;
    const done = (ended: boolean) => {
      clearTimeout(timer);
      req.removeListener('data', count);
      resolve(ended);
    };
    const timer = setTimeout(() => done(false), DISCARD_MS);
    timer.unref();
    const count = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_MAX) done(false);
    };
    req.on('data', count);
    req.once('end', () => done(true));
    req.once('close', () => done(req.complete));
    req.resume();
  });
}
