import { USAGE } from '../../domain/vpn-command.js';

export function helpMessage(): { response_type: 'ephemeral'; text: string; blocks: unknown[] } {
  const lines = USAGE.map(([usage, what]) => `\`${usage}\` ${what}`);
  return {
    response_type: 'ephemeral',
    text: `tunnelops commands:\n${lines.join('\n')}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'tunnelops' } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'Failovers, redeploys and certificate rotations run only after a second engineer approves.',
          },
        ],
      },
    ],
  };
}
