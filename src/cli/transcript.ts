import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One Web API call as the sandbox's Slack stand-in wrote it (src/local/slack-standin.ts). */
export interface TranscriptLine {
  at: string;
  method: string;
  ts?: string;
  args: {
    channel?: string;
    user?: string;
    text?: string;
    blocks?: unknown[];
    thread_ts?: string;
    view?: { callback_id?: string; private_metadata?: string; title?: { text?: string } };
  };
}

/** The transcript only grows; read at most its last 16 MB. */
const MAX_READ = 16 * 1024 * 1024;

const pathIn = (dataDir: string) => join(dataDir, 'slack-transcript.jsonl');

/** Parses the lines from byte `from` (a line start) to the end, at most MAX_READ bytes of the tail. */
function readFrom(path: string, from: number): TranscriptLine[] {
  if (!existsSync(path)) return [];
  const size = statSync(path).size;
  const start = Math.max(from, size - MAX_READ);
  const length = Math.max(0, size - start);
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, length, start);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').split('\n');
  if (start > from) lines.shift(); // cut mid-line
  const out: TranscriptLine[] = [];
  for (const line of lines) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as TranscriptLine);
    } catch {
      // a line being written right now
    }
  }
  return out;
}

/** The calls in the data dir's transcript (its last 16 MB), oldest first. */
export const transcriptEntries = (dataDir: string): TranscriptLine[] => readFrom(pathIn(dataDir), 0);

/**
 * Where the transcript ends now; `entriesAfter(dataDir, mark)` is then exactly what came later.
 * The transcript is append-only, so a position (its size in bytes) names an entry; a time does not (many
 * share a millisecond).
 */
export const transcriptMark = (dataDir: string): number =>
  existsSync(pathIn(dataDir)) ? statSync(pathIn(dataDir)).size : 0;

export const entriesAfter = (dataDir: string, mark: number): TranscriptLine[] =>
  readFrom(pathIn(dataDir), mark);

/** One message as Slack shows it now: its latest text, how often it changed, and its thread's replies. */
export interface MessageView {
  kind: 'message' | 'ephemeral' | 'dialog';
  channel: string;
  ts: string;
  /** Only this user sees it (ephemeral, dialog). */
  user?: string;
  firstAt: string;
  lastAt: string;
  updates: number;
  text: string;
  blocks?: unknown[];
  replies: MessageView[];
}

/** Folds the calls into messages: chat.update changes its message, thread_ts puts a reply under its parent. */
export function groupTranscript(entries: readonly TranscriptLine[]): MessageView[] {
  const top: MessageView[] = [];
  const byKey = new Map<string, MessageView>();
  const view = (e: TranscriptLine, kind: MessageView['kind']): MessageView => ({
    kind,
    channel: e.args.channel ?? '',
    ts: e.ts ?? '',
    ...(e.args.user ? { user: e.args.user } : {}),
    firstAt: e.at,
    lastAt: e.at,
    updates: 0,
    text: e.args.text ?? '',
    ...(e.args.blocks ? { blocks: e.args.blocks } : {}),
    replies: [],
  });
  for (const e of entries) {
    switch (e.method) {
      case 'chat.postMessage': {
        const m = view(e, 'message');
        if (e.ts) byKey.set(`${m.channel}:${e.ts}`, m);
        const parent = e.args.thread_ts ? byKey.get(`${m.channel}:${e.args.thread_ts}`) : undefined;
        if (parent) parent.replies.push(m);
        else top.push(m);
        break;
      }
      case 'chat.update': {
        const m = byKey.get(`${e.args.channel ?? ''}:${e.ts ?? ''}`);
        if (!m) break;
        m.updates++;
        m.lastAt = e.at;
        m.text = e.args.text ?? m.text;
        if (e.args.blocks) m.blocks = e.args.blocks;
        else delete m.blocks;
        break;
      }
      case 'chat.postEphemeral':
        top.push(view(e, 'ephemeral'));
        break;
      case 'views.open': {
        const title = e.args.view?.title?.text ?? 'a dialog';
        top.push({ ...view(e, 'dialog'), text: `(opened the dialog "${title}")` });
        break;
      }
      default:
        break;
    }
  }
  return top;
}
