import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

interface Manifest {
  features: {
    slash_commands: Array<{ command: string; url: string; usage_hint: string }>;
    bot_user: { display_name: string };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
}

describe('Slack app manifest (manifest.yml)', () => {
  const manifest = parse(readFileSync('manifest.yml', 'utf8')) as Manifest;

  it('declares /vpn and interactivity on the one Bolt endpoint', () => {
    const [vpn, ...others] = manifest.features.slash_commands;
    expect(others).toEqual([]);
    expect(vpn?.command).toBe('/vpn');
    expect(new URL(vpn!.url).pathname).toBe('/slack/events');
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe('/slack/events');
    for (const verb of ['status', 'failover', 'redeploy', 'history', 'cancel'])
      expect(vpn?.usage_hint).toContain(verb);
  });

  it('asks only for the scopes the bot uses', () => {
    // commands: /vpn; chat:write: postMessage/update/postEphemeral; usergroups:read: usergroups.users.list;
    // files:write: the health graph (files.uploadV2); users:read: users.info (names on the status page).
    // views.open needs no scope.
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      'chat:write',
      'commands',
      'files:write',
      'usergroups:read',
      'users:read',
    ]);
  });
});
