import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { renderBlocks } from '../../../src/cli/render-blocks.js';
import { formatDate } from '../../../src/cli/slack-markup.js';
import { EMOJI_SYMBOLS, terminalText } from '../../../src/cli/terminal-text.js';

const plain = { ansi: false, formatDate: (ms: number) => formatDate(ms, 'UTC') };
const ansi = { ...plain, ansi: true };

/** Every `:emoji:` code in a string literal under src/ (not an ARN's `:aws:` or `:sns:`). */
function emojiCodesInSource(dir = 'src'): Set<string> {
  const codes = new Set<string>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      for (const c of emojiCodesInSource(path)) codes.add(c);
      continue;
    }
    if (!path.endsWith('.ts') || path.startsWith(join('src', 'cli'))) continue;
    for (const m of readFileSync(path, 'utf8').matchAll(/(?<=['"`\s]):([a-z][a-z_]+):(?![\w-])/g))
      codes.add(m[1]!);
  }
  return codes;
}

describe('Slack text in a terminal', () => {
  it('has a symbol for every emoji code the bot writes', () => {
    const codes = [...emojiCodesInSource()];
    expect(codes.length).toBeGreaterThan(10);
    expect(codes.filter((c) => EMOJI_SYMBOLS[c] === undefined)).toEqual([]);
  });

  it('shows emoji as symbols, bold as plain text (bold on a colour terminal), italics and strikes plain', () => {
    const text =
      ':large_green_circle: *primary* (active): healthy\n*Active tunnel:* *primary* _was_ ~secondary~';
    expect(terminalText(text, plain)).toBe(
      '✓ primary (active): healthy\nActive tunnel: primary was secondary',
    );
    expect(terminalText('*Active tunnel:* *primary*', ansi)).toBe(
      '\x1b[1mActive tunnel:\x1b[22m \x1b[1mprimary\x1b[22m',
    );
    expect(terminalText(':red_circle: down', ansi)).toBe('\x1b[31m✗\x1b[39m down');
  });

  it('leaves what only looks like markup alone: ARNs, snake_case, a lone asterisk, unknown codes', () => {
    const text = 'arn:aws:sns:us-east-1:000000000000:alarms a*b snake_case_name 2 * 3 :party_parrot: a:x:b';
    expect(terminalText(text, plain)).toBe(text);
  });

  it('writes every ISO timestamp in the one date format', () => {
    expect(terminalText('since 2026-12-07T08:19:45.275Z, until 2026-12-07T09:00:00Z', plain)).toBe(
      'since 2026-12-07 08:19:45 UTC, until 2026-12-07 09:00:00 UTC',
    );
  });

  it('shows buttons by their label; their payloads only when asked (--raw)', () => {
    const blocks = [
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Fail over' }, value: '{"site":"dc1"}' },
          { type: 'button', text: { type: 'plain_text', text: 'Acknowledge' }, value: 'alarm:C1:x' },
        ],
      },
    ];
    expect(renderBlocks(blocks)).toBe('[Fail over] [Acknowledge]');
    expect(renderBlocks(blocks, '', true)).toBe(
      '[Fail over value={"site":"dc1"}] [Acknowledge value=alarm:C1:x]',
    );
  });
});
