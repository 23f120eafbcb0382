import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One call the sandbox's Slack stand-in received (a line of .data/slack-transcript.jsonl). */
export interface TranscriptLine {
  at: string;
  method: string;
  ts?: string;
  args: { channel?: string; user?: string; text?: string; blocks?: unknown[] };
}

export function transcriptEntries(dataDir: string): TranscriptLine[] {
  const path = join(dataDir, 'slack-transcript.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TranscriptLine);
}

/**
 * Where the transcript ends now; `entriesAfter(dataDir, mark)` is then exactly what came later.
 * The transcript is append-only, so a position names an entry; a time does not (many share a millisecond).
 */
export const transcriptMark = (dataDir: string): number => transcriptEntries(dataDir).length;

export const entriesAfter = (dataDir: string, mark: number): TranscriptLine[] =>
  transcriptEntries(dataDir).slice(mark);
