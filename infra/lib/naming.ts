import { ALARM_NAME_PREFIX } from '../../src/domain/alarm-mapping.js';

/**
 * Physical names shared between stacks and with the bot. Deterministic names (rather than exports) keep
 * stacks independently deployable, and they are what the bot and the deploy runner look for:
 * the deploy runner (src/domain/deploy-plan.ts) treats a stack ending in `-<site>-<tunnel>` as that tunnel's.
 */
export const STACK_PREFIX = 'TunnelOps';
export const imagesStackName = `${STACK_PREFIX}-Images`;
export const sharedStackName = `${STACK_PREFIX}-Shared`;
export const siteStackName = (site: string) => `${STACK_PREFIX}-${site}`;
export const tunnelStackName = (site: string, tunnel: string) => `${STACK_PREFIX}-${site}-${tunnel}`;
export const controlStackName = (site: string) => `${STACK_PREFIX}-${site}-control`;

export const STATE_TABLE_NAME = 'tunnelops-state';
export const BOT_REPOSITORY = 'tunnelops/bot';
export const SERVER_REPOSITORY = 'tunnelops/openvpn-server';
export const SLACK_SECRET_NAME = 'tunnelops/slack';
export const GITHUB_SECRET_NAME = 'tunnelops/github';
export const API_TOKEN_SECRET_NAME = 'tunnelops/api-token';

/** The auto-scaling group of one tunnel's server: named so the site's controller can be scoped to it. */
export const asgName = (site: string, tunnel: string) => `tunnelops-${site}-${tunnel}`;
/** The site's backstop reconcile schedule (EventBridge Scheduler, default group; its role trusts that group). */
export const backstopScheduleName = (site: string) => `tunnelops-${site}-backstop`;
/** Name of the termination lifecycle hook on each tunnel ASG (the controller completes it after failing over). */
export const TERMINATION_HOOK_NAME = 'tunnelops-failover-first';
/** Log group the boot script ships its output to (one stream per instance id). */
export const bootLogGroupName = (site: string, tunnel: string) => `/tunnelops/${site}/${tunnel}/boot`;

/** SNS topic per site; the bot accepts alarms only from these ARNs. */
export const alarmTopicName = (site: string) => `${ALARM_NAME_PREFIX}${site}-alarms`;
/** `tunnelops-<site>-<kind>`: a site's alarm that is about no one tunnel (the bot maps it to the site). */
export const siteAlarmName = (site: string, kind: string) => `${ALARM_NAME_PREFIX}${site}-${kind}`;
/** SNS topic of the alarms that belong to no site (the bot itself, the alarm queue's dead letters). */
export const SHARED_ALARM_TOPIC = alarmTopicName('shared');
export const ALARM_TOPIC_PATTERN = `${ALARM_NAME_PREFIX}*-alarms`;
/** `tunnelops-<site>-<tunnel>-<kind>`: the bot maps alarms to tunnels by this name (src/domain/alarm-mapping.ts). */
export const alarmName = (site: string, tunnel: string, kind: string) =>
  `${ALARM_NAME_PREFIX}${site}-${tunnel}-${kind}`;

/** Where a server's own certificate, key, CA, tls-crypt key and CRL live in the site's certificate bucket. */
export { certPrefix } from '../../src/pki/names.js';

/** On the instance: this server's PKI, mounted read-only into the server container. */
export const HOST_PKI_DIR = '/etc/tunnelops/pki';
/** ECS instance attribute that pins a tunnel's task to its own instance. */
export const TUNNEL_ATTRIBUTE = 'tunnelops.tunnel';
