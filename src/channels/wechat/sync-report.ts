import type { KeyRing } from '../../privacy/index.ts';

/** What one WeCom directory sync found and changed. Counts of changes are 0 on a second run over the same data. */
export interface WecomSyncReport {
  channel: string;
  /** Members with the customer contact feature that the app can see. */
  members: number;
  /** People (contacts and external group members) resolved to customers. */
  people: {
    customersCreated: number;
    identitiesAdded: number;
    /** Contacts whose external_userid was new and joined a customer that already existed (by unionid, or merged). */
    joinedExisting: number;
    merges: number;
    /** Contacts or group members skipped because they belong to an erased person (docs/privacy.md). */
    skippedErased: number;
  };
  contacts: {
    /** Distinct external contacts listed. */
    seen: number;
    /** Follow relations listed (a contact followed by two members counts twice). */
    follows: number;
    followsAdded: number;
    followsChanged: number;
    /** Relations listed again after a sync had found them gone. */
    refollowed: number;
    /** Relations no longer listed, now marked not followed. */
    unfollowed: number;
  };
  groups?: {
    seen: number;
    added: number;
    changed: number;
    /** Groups whose member list had not changed (same member_version), so their members were not compared. */
    unchanged: number;
    /** Groups gone from the list since the last sync (dismissed, or their owner out of the app's range). */
    gone: number;
    /** External members listed, and members of the corp. */
    members: number;
    staff: number;
    joined: number;
    left: number;
  };
  /** The corp's tags (get_corp_tag_list) and the `wecom:<group>/<name>` customer tags they give. */
  tags: {
    /** Live corp tags listed. */
    corpTags: number;
    /** Corp tag rows written: new, renamed, moved, deleted. */
    corpTagsChanged: number;
    /** Customer tags added and removed. */
    added: number;
    removed: number;
  };
  /** Customers whose reachability on the channel the sync changed. */
  reachability: { unreachable: number; reachable: number };
  warnings: string[];
  startedAt: Date;
  finishedAt: Date;
}

/** What every step of a sync shares. */
export interface SyncContext {
  channel: string;
  ring: KeyRing;
  /** Whether any privacy tombstone is in force (checked once a sync): erased people are then looked for. */
  hasTombstones: boolean;
  now: Date;
  report: WecomSyncReport;
  progress: (line: string) => void;
}

export function emptyReport(channel: string, now: Date): WecomSyncReport {
  return {
    channel,
    members: 0,
    people: { customersCreated: 0, identitiesAdded: 0, joinedExisting: 0, merges: 0, skippedErased: 0 },
    contacts: { seen: 0, follows: 0, followsAdded: 0, followsChanged: 0, refollowed: 0, unfollowed: 0 },
    tags: { corpTags: 0, corpTagsChanged: 0, added: 0, removed: 0 },
    reachability: { unreachable: 0, reachable: 0 },
    warnings: [],
    startedAt: now,
    finishedAt: now,
  };
}

/** A JSON column's value as the engines return it (DuckDB: text; PostgreSQL: parsed), as canonical text. */
export const jsonText = (value: unknown): string => JSON.stringify(typeof value === 'string' ? JSON.parse(value) : (value ?? null));

/** Two optional instants are the same. */
export const sameTime = (a: Date | null | undefined, b: Date | null | undefined): boolean => (a ? a.getTime() : null) === (b ? b.getTime() : null);
