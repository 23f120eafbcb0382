import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../ports/store.js';

const NS = 'page-session';
/** A sign-in lasts a working shift and a half; the NOC screen signs in again after that. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

interface SessionRecord {
  /** Which API token the session was opened with (an HMAC of it): rotating the token ends every session. */
  tokenTag: string;
  createdAt: number;
}

/**
 * Status page sessions: a random id per sign-in (256 bits), kept in the store under its SHA-256 (so the store
 * holds nothing a browser could present), with an expiry; sign-out deletes it. In the store, so every bot
 * replica and a restart see the same sessions.
 */
export class PageSessions {
  private readonly tokenTag: string;

  constructor(
    private readonly store: Store,
    token: string,
    private readonly now: () => number,
  ) {
    this.tokenTag = createHmac('sha256', token).update('tunnelops status page session').digest('base64url');
  }

  async create(): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const record: SessionRecord = { tokenTag: this.tokenTag, createdAt: this.now() };
    await this.store.put(NS, storeKey(id), record, SESSION_TTL_MS);
    return id;
  }

  async valid(id: string): Promise<boolean> {
    if (!SESSION_ID.test(id)) return false;
    const found = await this.store.get<SessionRecord>(NS, storeKey(id));
    return found !== null && found.value.tokenTag === this.tokenTag;
  }

  async revoke(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.store.delete(NS, storeKey(id));
  }
}

const storeKey = (id: string): string => createHash('sha256').update(id).digest('hex');
