import type { FailoverRun } from '../domain/audit.js';
import type { FiringAlarm } from '../domain/overview.js';
import type { PendingRequest } from '../domain/pending.js';
import { escapeHtml as h } from '../render/escape-html.js';
import { cells, time } from './page-html.js';

/** The panels below the sites: alarms in ALARM, open requests, the last failovers. */
export function panels(
  o: { alarms: FiringAlarm[]; pending: PendingRequest[]; failovers: FailoverRun[] },
  person: (id: string) => string,
): string {
  return `<div id="panels" class="panels">${alarms(o.alarms)}
${pending(o.pending, person)}
${failovers(o.failovers, person)}</div>`;
}

function alarms(list: FiringAlarm[]): string {
  if (!list.length) return section('alarms', 'Alarms in ALARM', '<p>✓ None.</p>');
  return section(
    'alarms',
    `Alarms in ALARM (${list.length})`,
    table(
      ['Alarm', 'Site / tunnel', 'Since', 'Reason'],
      list.map((a) => [
        `<span class="health health-down">✗</span> ${h(a.name)}`,
        h(a.site ? `${a.site}${a.tunnel ? `/${a.tunnel}` : ''}` : 'not mapped to a site'),
        time(a.since),
        h(a.reason),
      ]),
    ),
  );
}

function pending(list: PendingRequest[], person: (id: string) => string): string {
  if (!list.length) return section('pending', 'Open requests', '<p>None waiting.</p>');
  return section(
    'pending',
    `Open requests (${list.length})`,
    table(
      ['Request', 'What', 'Asked by', 'State', 'Expires', 'Reason'],
      list.map((p) => [
        h(p.id),
        h(
          p.action === 'failover'
            ? `fail over ${p.site} to ${p.to ?? 'the other tunnel'}`
            : `redeploy ${p.site}/${p.tunnel ?? '?'}`,
        ),
        h(person(p.requester)),
        h(p.state),
        time(p.expiresAt),
        h(p.reason ?? ''),
      ]),
    ),
  );
}

function failovers(list: FailoverRun[], person: (id: string) => string): string {
  if (!list.length) return section('failovers', 'Last failovers', '<p>None in the audit log.</p>');
  return section(
    'failovers',
    'Last failovers',
    table(
      ['When', 'Site', 'From', 'To', 'By'],
      list.map((f) => [
        time(new Date(f.at).toISOString()),
        h(f.site),
        h(f.from ?? '?'),
        h(f.to ?? '?'),
        h(person(f.actor)),
      ]),
    ),
  );
}

function section(id: string, title: string, body: string): string {
  return `<section class="panel" aria-labelledby="${id}"><h2 id="${id}">${h(title)}</h2>${body}</section>`;
}

/** A table of already escaped cells under escaped headings. */
function table(head: string[], rows: string[][]): string {
  return `<table class="stack"><thead><tr>${head.map((c) => `<th scope="col">${h(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${cells(head, r)}</tr>`)
    .join('')}</tbody></table>`;
}
