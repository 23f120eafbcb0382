import type { FoundStatement } from './synth.js';

const GUARDED_SERVICES = ['ec2', 's3', 'ecs'];
/** Calls that only read (or discover an endpoint) and so may need Resource "*" where AWS offers nothing finer. */
const READ_ONLY = /^(Describe|List|Get|BatchGet|DiscoverPollEndpoint)/;

export function isMutating(action: string): boolean {
  const [service, name = ''] = action.split(':');
  return GUARDED_SERVICES.includes(service ?? '') && !READ_ONLY.test(name);
}

/**
 * Problems in Allow statements: any `Action: "*"` (or `service:*` on a guarded service), and any mutating
 * EC2/ECS/S3 action on `Resource: "*"`. Returns readable lines so a failure names the statement.
 */
export function policyProblems(statements: FoundStatement[]): string[] {
  const problems: string[] = [];
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    const where = `${s.stack}/${s.resource}`;
    for (const a of s.actions) {
      if (a === '*') problems.push(`${where}: Action "*"`);
      const [service, name] = a.split(':');
      if (name === '*' && GUARDED_SERVICES.includes(service ?? '')) problems.push(`${where}: Action "${a}"`);
    }
    const mutating = s.actions.filter(isMutating);
    if (mutating.length && s.resources.includes('*'))
      problems.push(`${where}: ${mutating.join(', ')} on Resource "*"`);
  }
  return problems;
}
