import { groupTranscript, type MessageView, type TranscriptLine } from './transcript.js';

export interface TranscriptRenderOptions {
  /** How many messages (or, raw, calls) from the end. */
  last: number;
  /** The API calls one by one instead of messages. */
  raw: boolean;
  show: (blocks: unknown[] | undefined, text: string) => string;
}

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');

function header(m: MessageView, show: TranscriptRenderOptions['show']): string {
  const where = m.channel ? show(undefined, `<#${m.channel}>`) : '';
  const who = m.user ? ` only ${show(undefined, `<@${m.user}>`)} sees this` : '';
  const changed = m.updates
    ? `, updated ${m.updates} time${m.updates > 1 ? 's' : ''} (last ${m.lastAt})`
    : '';
  // Through `show` too, so the times read in the CLI's one date format.
  return show(undefined, `--- ${m.firstAt} ${where}${who}${changed}`).replace(/\s+$/, '');
}

/**
 * The sandbox's Slack transcript as a person reads a channel: each message once in its latest state, thread
 * replies under it; `raw` lists the Web API calls instead.
 */
export function renderTranscript(entries: readonly TranscriptLine[], o: TranscriptRenderOptions): string {
  if (entries.length === 0) return '(no Slack messages yet)';
  if (o.raw) {
    return entries
      .slice(-o.last)
      .map(
        (e) =>
          `--- ${e.at} ${e.method} ${e.args.channel ?? ''} ${e.ts ?? ''}\n${o.show(e.args.blocks, e.args.text ?? '')}`,
      )
      .join('\n');
  }
  const messages = groupTranscript(entries).slice(-o.last);
  const parts: string[] = [];
  for (const m of messages) {
    parts.push(header(m, o.show));
    parts.push(o.show(m.blocks, m.text));
    for (const r of m.replies) {
      parts.push(`  ↳ ${header(r, o.show).slice(4)}`);
      parts.push(indent(o.show(r.blocks, r.text), '    '));
    }
  }
  return parts.join('\n');
}
