import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import type { Chat } from '../../src/ports/chat.js';

export const WEBHOOK_SECRET = 'security-suite-webhook-secret';

export const signGithub = (body: string | Buffer, secret = WEBHOOK_SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export interface BigPostResult {
  status: number;
  ms: number;
  body: string;
}

/**
 * POSTs `totalBytes` of filler, streamed in 1 MiB chunks (never held in memory whole), and resolves with
 * the status as soon as the server answers, even if it answers before the body is sent. `chunked` leaves
 * out Content-Length, so the server has to stop reading by itself.
 */
export function postBig(
  url: string,
  totalBytes: number,
  headers: Record<string, string> = {},
  chunked = false,
  method = 'POST',
): Promise<BigPostResult> {
  const started = performance.now();
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61); // "aaaa..."
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        headers: { ...headers, ...(chunked ? {} : { 'content-length': String(totalBytes) }) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - started,
            body: Buffer.concat(parts).toString('utf8'),
          });
          req.destroy();
        });
      },
    );
    // The server may close the socket once it has answered; that is the point, not a failure.
    req.on('error', (err) => {
      setTimeout(() => reject(new Error(`${err.message} (sent ${sent} bytes, no answer)`)), 2000).unref();
    });
    let sent = 0;
    const pump = (): void => {
      while (sent < totalBytes && !req.destroyed) {
        const n = Math.min(chunk.length, totalBytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    setImmediate(pump);
  });
}

/** A Chat that accepts everything and remembers nothing (tests that look at the store, not at Slack). */
export const silentChat: Chat = {
  post: async (channel) => ({ channel, ts: '1.000001' }),
  update: async () => {},
  postEphemeral: async () => {},
  uploadFile: async () => {},
  userGroupMembers: async () => [],
};
