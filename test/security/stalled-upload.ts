import { connect, type Socket } from 'node:net';

export interface StalledUpload {
  /** The status the server answered with, or null when it closed without answering. */
  status: Promise<number | null>;
  /** Milliseconds from opening to the answer (or close). */
  ms: Promise<number>;
  close(): void;
}

/**
 * Opens a raw connection, sends a request declaring `contentLength` bytes but only `sendBytes` of them, and
 * then sends nothing more (a stalled upload), as an attacker holding a connection open would.
 */
export function stalledUpload(
  base: string,
  path: string,
  headers: Record<string, string>,
  contentLength: number,
  sendBytes: number,
  method = 'POST',
): StalledUpload {
  const { hostname, port } = new URL(base);
  const started = performance.now();
  let socket: Socket | undefined;
  let resolveMs: (ms: number) => void = () => {};
  const ms = new Promise<number>((r) => {
    resolveMs = r;
  });
  const status = new Promise<number | null>((resolve) => {
    let head = '';
    const done = (s: number | null): void => {
      resolveMs(performance.now() - started);
      resolve(s);
    };
    socket = connect(Number(port), hostname, () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}`, `Content-Length: ${contentLength}`];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      socket?.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (sendBytes > 0) socket?.write(Buffer.alloc(sendBytes, 0x61));
    });
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) done(Number(m[1]));
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
  return { status, ms, close: () => socket?.destroy() };
}
