import { existsSync, readFileSync } from 'node:fs';
import type { Site } from '../../src/config/topology-schema.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import { CERT_REPORT_NS, type CertReport, certReportKey } from '../../src/domain/cert-expiry.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../src/domain/heartbeat.js';
import type { TranscriptEntry } from '../../src/local/slack-standin.js';
import { openSqlite, type SqliteDb, statement } from '../../src/local/sqlite-db.js';
import { TUNNELS } from './lab-plan.js';

/**
 * Read-only looks at a production-shape lab from outside its processes: the shared store's heartbeats and
 * audit, and the Slack stand-in's transcript. Read-only, so the observer never holds a write lock the
 * deciders wait on.
 */
function withDb<T>(path: string, fallback: T, read: (db: SqliteDb) => T): T {
  if (!existsSync(path)) return fallback;
  let db: SqliteDb | undefined;
  try {
    db = openSqlite(path, { readOnly: true, busyTimeoutMs: 2000 });
    return read(db);
  } catch {
    return fallback;
  } finally {
    db?.close();
  }
}

export function readHeartbeats(storePath: string, site: string): Partial<Record<string, Heartbeat>> {
  return withDb(storePath, {}, (db) => {
    const get = statement<[string, string], { value: string }>(
      db,
      'SELECT value FROM records WHERE ns = ? AND key = ?',
    );
    const out: Partial<Record<string, Heartbeat>> = {};
    for (const t of TUNNELS) {
      const row = get.get(HEARTBEAT_NS, heartbeatKey(site, t));
      if (row) out[t] = JSON.parse(row.value) as Heartbeat;
    }
    return out;
  });
}

/** Who holds the site's lease now (its owner, e.g. "failover:controller@monitor:lab/primary:<uuid>"), or null. */
export function readLeaseOwner(storePath: string, site: string, now: number): string | null {
  return withDb(storePath, null, (db) => {
    const row = statement<[string, string], { value: string; expires_at: number | null }>(
      db,
      'SELECT value, expires_at FROM records WHERE ns = ? AND key = ?',
    ).get('lock', `site:${site}`);
    if (!row || (row.expires_at !== null && row.expires_at <= now)) return null;
    return (JSON.parse(row.value) as { owner: string }).owner;
  });
}

/** The site's audit entries, oldest first. */
export function readAudit(storePath: string, site: string): AuditEntry[] {
  return withDb(storePath, [], (db) =>
    statement<[string], { entry: string }>(db, 'SELECT entry FROM audit WHERE site = ? ORDER BY seq')
      .all(site)
      .map((r) => JSON.parse(r.entry) as AuditEntry),
  );
}

export function readTranscript(path: string): TranscriptEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TranscriptEntry);
}

/** Texts posted to the site's channel (including calls held while Slack hung). */
export function channelPosts(path: string, site: Pick<Site, 'slackChannel'>): TranscriptEntry[] {
  return readTranscript(path).filter(
    (c) => c.method === 'chat.postMessage' && c.args.channel === site.slackChannel,
  );
}

/** A heartbeat's health as an operator reads it: stale when its monitor stopped writing. */
export function heartbeatHealth(beat: Heartbeat | undefined, now: number, staleMs: number): string {
  if (!beat) return 'unknown';
  return now - Date.parse(beat.at) > staleMs ? `stale (${beat.health})` : beat.health;
}

/** Every tunnel's certificate report, as its monitor last wrote it (src/monitor/cert-watch.ts). */
export function readCertReports(storePath: string, site: string): CertReport[] {
  return withDb(storePath, [], (db) => {
    const get = statement<[string, string], { value: string }>(
      db,
      'SELECT value FROM records WHERE ns = ? AND key = ?',
    );
    return TUNNELS.flatMap((t) => {
      const row = get.get(CERT_REPORT_NS, certReportKey(site, t));
      return row ? [JSON.parse(row.value) as CertReport] : [];
    });
  });
}
