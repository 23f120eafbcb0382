import { describe, expect, it } from '@jest/globals';
import { readZip, ZIP_LIMITS, ZipError } from '../../src/github/read-zip.js';
import { makeZip } from '../helpers/zip.js';

// Finding 2: the cdk-diff artifact zip was inflated with no output limit (510 KiB -> 512 MiB).
describe('finding 2: the artifact zip is inflated within a bound', () => {
  it('a zip bomb is refused at the inflation limit; memory stays flat', () => {
    // 64 MiB of one byte deflates to ~64 KiB: four times the inflation limit.
    const bomb = makeZip({ 'cdk-diff.json': 'a'.repeat(64 * 1024 * 1024) });
    expect(bomb.length).toBeLessThan(ZIP_LIMITS.maxArchiveBytes);
    global.gc?.();
    const before = process.memoryUsage().rss;
    expect(() => readZip(bomb)).toThrow(ZipError);
    expect(() => readZip(bomb)).toThrow(/inflates to more than/);
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(2 * ZIP_LIMITS.maxInflatedBytes + 16 * 1024 * 1024);
  });

  it('entries that together exceed the limit are refused too', () => {
    const half = 'b'.repeat(ZIP_LIMITS.maxInflatedBytes / 2 + 1);
    expect(() => readZip(makeZip({ 'a.txt': half, 'b.txt': half }))).toThrow(ZipError);
  });

  it('offsets pointing outside the archive are a clear error, not a RangeError', () => {
    const zip = makeZip({ 'cdk-diff.txt': 'hello' });
    zip.writeUInt32LE(0xfffffff0, zip.length - 22 + 16); // central directory offset
    expect(() => readZip(zip)).toThrow(ZipError);
  });

  it('an ordinary artifact still reads', () => {
    expect(
      readZip(makeZip({ 'cdk-diff.txt': 'Stack X' }))
        .get('cdk-diff.txt')
        ?.toString(),
    ).toBe('Stack X');
  });
});
