import { inflateRawSync } from 'node:zlib';
import { BadRequestError } from '../domain/errors.js';

export interface ZipLimits {
  /** Largest archive accepted (checked against the artifact's size before downloading, and here). */
  maxArchiveBytes: number;
  maxEntries: number;
  /** Total bytes inflated over all entries; a zip bomb stops here, not at the machine's memory. */
  maxInflatedBytes: number;
}

/** The cdk-diff artifact is one JSON or text file, well under a MiB; these limits leave room for big apps. */
export const ZIP_LIMITS: ZipLimits = {
  maxArchiveBytes: 8 * 1024 * 1024,
  maxEntries: 64,
  maxInflatedBytes: 16 * 1024 * 1024,
};

export class ZipError extends BadRequestError {}

/**
 * Reads the files of a zip archive (GitHub Actions artifacts are zips): stored and deflated entries,
 * located through the central directory so data descriptors are handled. Every offset is bounds-checked
 * and inflation is capped (the sizes a zip declares are not trusted).
 */
export function readZip(buf: Buffer, limits: ZipLimits = ZIP_LIMITS): Map<string, Buffer> {
  if (buf.length > limits.maxArchiveBytes)
    throw new ZipError(`zip archive is larger than ${limits.maxArchiveBytes} bytes`);
  const u16 = (at: number): number => {
    if (at < 0 || at + 2 > buf.length) throw new ZipError('corrupt zip (offset out of range)');
    return buf.readUInt16LE(at);
  };
  const u32 = (at: number): number => {
    if (at < 0 || at + 4 > buf.length) throw new ZipError('corrupt zip (offset out of range)');
    return buf.readUInt32LE(at);
  };
  const files = new Map<string, Buffer>();
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new ZipError('not a zip archive (no end of central directory)');
  const count = u16(eocd + 10);
  if (count > limits.maxEntries) throw new ZipError(`zip has more than ${limits.maxEntries} entries`);
  let p = u32(eocd + 16);
  let inflated = 0;
  for (let i = 0; i < count; i++) {
    if (u32(p) !== 0x02014b50) throw new ZipError('corrupt zip central directory');
    const method = u16(p + 10);
    const compressed = u32(p + 20);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    const local = u32(p + 42);
    if (p + 46 + nameLen > buf.length) throw new ZipError('corrupt zip (name out of range)');
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const dataStart = local + 30 + u16(local + 26) + u16(local + 28);
    if (dataStart + compressed > buf.length) throw new ZipError(`corrupt zip (data of ${name} out of range)`);
    const data = buf.subarray(dataStart, dataStart + compressed);
    const room = limits.maxInflatedBytes - inflated;
    let out: Buffer;
    if (method === 0) {
      if (data.length > room) throw tooLarge(limits);
      out = Buffer.from(data);
    } else if (method === 8) out = inflateCapped(data, room, limits);
    else throw new ZipError(`unsupported zip compression method ${method} for ${name}`);
    inflated += out.length;
    files.set(name, out);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

function inflateCapped(data: Buffer, room: number, limits: ZipLimits): Buffer {
  if (room <= 0) throw tooLarge(limits);
  try {
    return inflateRawSync(data, { maxOutputLength: room });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limits);
    throw new ZipError('corrupt zip (deflate data does not inflate)');
  }
}

const tooLarge = (limits: ZipLimits) =>
  new ZipError(`zip inflates to more than ${limits.maxInflatedBytes} bytes`);
