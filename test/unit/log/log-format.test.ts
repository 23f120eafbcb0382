import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { resolveLogFormat } from '../../../src/log.js';
import { formatLogLine, textDestination } from '../../../src/log-text.js';

const at = new Date(2026, 11, 7, 8, 34, 5).getTime(); // local time, as the text shows it

describe('log lines for a person at a terminal', () => {
  it('is text on a terminal and JSON otherwise, unless LOG_FORMAT says which', () => {
    expect(resolveLogFormat('auto', true)).toBe('text');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('text', false)).toBe('text');
  });

  it('reads as time, level, message and the fields, without what the message already says', () => {
    const line = JSON.stringify({
      level: 30,
      time: at,
      app: 'tunnelops',
      msg: 'controller decided none: did nothing: active tunnel primary is not down',
      site: 'dc1',
      reason: 'did nothing: active tunnel primary is not down',
      slack: 'local stand-in',
      evidence: { tunnels: Array.from({ length: 20 }, (_, i) => ({ name: `t${i}` })) },
    });
    const text = formatLogLine(line, false);
    expect(text).toMatch(
      /^08:34:05 INFO {2}controller decided none: did nothing: active tunnel primary is not down {2}site=dc1 slack="local stand-in" evidence=\{"tunnels":\[/,
    );
    expect(text).not.toContain('reason=');
    expect(text).not.toContain('app=');
    expect(text.length).toBeLessThan(300);
    expect(text.endsWith('…')).toBe(true);
  });

  it('shows an error with its stack, colours the level only when asked, and passes other lines through', () => {
    const line = JSON.stringify({
      level: 50,
      time: at,
      msg: 'boom',
      err: { message: 'x', stack: 'Error: x\n    at f' },
    });
    expect(formatLogLine(line, false)).toBe('08:34:05 ERROR boom\n  Error: x\n      at f');
    expect(formatLogLine(line, true)).toContain('\x1b[31mERROR\x1b[39m');
    expect(formatLogLine('not json', false)).toBe('not json');
  });

  it('is a pino destination: a real logger writes text lines through it', () => {
    const out: string[] = [];
    const log = pino(
      { base: { app: 'tunnelops' } },
      textDestination({ write: (s: string) => out.push(s) } as never, false),
    );
    log.warn({ site: 'dc1' }, 'monitor silent');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d WARN {2}monitor silent {2}site=dc1\n$/);
  });
});
