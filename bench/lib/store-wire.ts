/**
 * The frames bench:fleet's store process and its clients exchange over a unix socket: a 4-byte length, then a
 * V8-serialized message (it carries Maps and undefined as they are, which the Store interface returns).
 */
import { deserialize, serialize } from 'node:v8';

export interface StoreRequest {
  id: number;
  method: string;
  args: unknown[];
}

export type StoreReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** A frame past this is a bug in the bench, not a fleet: the largest reply (the audit log) is a few MB. */
const MAX_FRAME = 256 * 1024 * 1024;

export function frame(message: StoreRequest | StoreReply): Buffer {
  const body = serialize(message);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Feeds socket data in; calls `onMessage` once per whole frame. */
export function frameReader<T>(onMessage: (message: T) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const size = pending.readUInt32BE(0);
      if (size > MAX_FRAME) throw new Error(`store frame of ${size} bytes`);
      if (pending.length < 4 + size) break;
      onMessage(deserialize(pending.subarray(4, 4 + size)) as T);
      pending = pending.subarray(4 + size);
    }
  };
}
