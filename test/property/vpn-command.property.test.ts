import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseVpnCommand, type VpnCommand } from '../../src/domain/vpn-command.js';

const KINDS: ReadonlyArray<VpnCommand['kind']> = [
  'help',
  'status',
  'failover',
  'redeploy',
  'history',
  'cancel',
];
const words = [
  'status',
  'failover',
  'redeploy',
  'history',
  'cancel',
  'help',
  'dc1',
  'primary',
  '--to',
  '--force',
  '"a reason"',
  '“curly”',
  "'x",
];

/** Text that looks like a command often enough to reach every branch of the parser. */
const commandLike = fc
  .array(
    fc.oneof(
      fc.constantFrom(...words),
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
    ),
    { maxLength: 8 },
  )
  .chain((parts) => fc.constantFrom(' ', '  ', '\t', '\n').map((sep) => parts.join(sep)));

function checkResult(text: string): void {
  const result = parseVpnCommand(text);
  if (result.ok) {
    expect(KINDS).toContain(result.command.kind);
    // Names that reach the handlers are always valid identifiers.
    const c = result.command as Record<string, unknown>;
    for (const key of ['site', 'tunnel', 'to'] as const) {
      if (c[key] !== undefined) expect(String(c[key])).toMatch(/^[a-z][a-z0-9-]{0,31}$/);
    }
  } else {
    expect(typeof result.error).toBe('string');
    expect(result.error.length).toBeGreaterThan(0);
    expect(result.error.length).toBeLessThan(300);
  }
}

describe('parseVpnCommand (property)', () => {
  it('never throws on any text and returns a command or a short, clear error', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), commandLike, fc.string({ maxLength: 5000 })),
        (text) => {
          expect(() => parseVpnCommand(text)).not.toThrow();
          checkResult(text);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('parses `status <valid site>` to that site, whatever the spacing and case of the verb', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
        fc.constantFrom('status', 'STATUS', 'Status'),
        fc.constantFrom(' ', '   ', '\t'),
        (site, verb, sep) => {
          expect(parseVpnCommand(`${sep}${verb}${sep}${site}${sep}`)).toEqual({
            ok: true,
            command: { kind: 'status', site },
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
