import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { formatDate } from '../../../src/cli/slack-markup.js';
import { terminalText } from '../../../src/cli/terminal-text.js';
import { entriesAfter, type TranscriptLine, transcriptMark } from '../../../src/cli/transcript.js';
import { renderTranscript } from '../../../src/cli/transcript-render.js';

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

const at = (s: number) => `2026-11-28T10:00:${String(s).padStart(2, '0')}.000Z`;
const post = (s: number, ts: string, text: string, thread?: string): TranscriptLine => ({
  at: at(s),
  method: 'chat.postMessage',
  ts,
  args: { channel: 'C0SANDBOX1', text, ...(thread ? { thread_ts: thread } : {}) },
});
const update = (s: number, ts: string, text: string): TranscriptLine => ({
  at: at(s),
  method: 'chat.update',
  ts,
  args: { channel: 'C0SANDBOX1', text },
});
/** The CLI's plain-text rendering (every time in its one date format), in UTC. */
const show = (_b: unknown[] | undefined, text: string) =>
  terminalText(text, { ansi: false, formatDate: (ms) => formatDate(ms, 'UTC') });

// One failover: the request message updated with every progress line, an alarm with a thread reply.
const entries: TranscriptLine[] = [
  post(1, '1.000001', 'Failover fo-abc: pending'),
  ...Array.from({ length: 9 }, (_, i) => update(2 + i, '1.000001', `Failover fo-abc: step ${i + 1}`)),
  post(12, '1.000002', 'ALARM: tunnelops-dc1-primary-down'),
  post(13, '1.000003', 'OK at 10:00:13', '1.000002'),
  {
    at: at(14),
    method: 'chat.postEphemeral',
    args: { channel: 'C0SANDBOX1', user: 'UREQUESTER', text: 'no' },
  },
];

describe('transcript', () => {
  it('shows each message once in its latest state, with thread replies under their message', () => {
    const text = renderTranscript(entries, { last: 10, raw: false, show });
    expect(text.match(/Failover fo-abc/g)).toHaveLength(1);
    expect(text).toContain('Failover fo-abc: step 9');
    expect(text).toContain(
      '--- 2026-11-28 10:00:01 UTC <#C0SANDBOX1>, updated 9 times (last 2026-11-28 10:00:10 UTC)',
    );
    expect(text).not.toContain('step 8');
    const lines = text.split('\n');
    const alarm = lines.indexOf('ALARM: tunnelops-dc1-primary-down');
    expect(lines[alarm + 1]).toMatch(/^ {2}↳ 2026-11-28 10:00:13 UTC/);
    expect(lines[alarm + 2]).toBe('    OK at 10:00:13');
    expect(text).toContain('only <@UREQUESTER> sees this');
  });

  it('counts messages, not calls, for "last n"; --raw lists the calls', () => {
    const two = renderTranscript(entries, { last: 2, raw: false, show });
    expect(two).not.toContain('fo-abc');
    expect(two).toContain('ALARM');
    const raw = renderTranscript(entries, { last: 3, raw: true, show });
    expect(raw.match(/^--- /gm)).toHaveLength(3);
    expect(raw).toContain('chat.postMessage C0SANDBOX1 1.000003');
  });

  it('says so when there is nothing yet', () => {
    expect(renderTranscript([], { last: 10, raw: false, show })).toBe('(no Slack messages yet)');
  });
});
