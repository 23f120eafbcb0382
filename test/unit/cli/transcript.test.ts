import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { entriesAfter, transcriptMark } from '../../../src/cli/transcript.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const line = (at: string, text: string) =>
  `${JSON.stringify({ at, method: 'chat.postEphemeral', args: { user: 'U1', text } })}\n`;

describe('transcript marks', () => {
  it('returns only what came after the mark, though an earlier entry has the very same millisecond', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-transcript-'));
    dirs.push(dir);
    const path = join(dir, 'slack-transcript.jsonl');
    const at = '2026-01-01T00:00:00.123Z';
    appendFileSync(path, line(at, 'an earlier refusal'));
    const mark = transcriptMark(dir);
    appendFileSync(path, line(at, 'the reply to this click'));
    expect(entriesAfter(dir, mark).map((e) => e.args.text)).toEqual(['the reply to this click']);
  });

  it('marks an absent transcript as empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-transcript-'));
    dirs.push(dir);
    expect(transcriptMark(dir)).toBe(0);
    appendFileSync(join(dir, 'slack-transcript.jsonl'), line('2026-01-01T00:00:00.000Z', 'first'));
    expect(entriesAfter(dir, 0)).toHaveLength(1);
  });
});
