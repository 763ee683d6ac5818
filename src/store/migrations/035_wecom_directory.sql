-- WeCom 客户联系 synced from the corp's directory (docs/channels.md#contact-sync-and-group-chats): which member follows
-- which external contact, and the customer group chats with their members. Rows are never deleted by a sync: a
-- relation WeCom no longer lists is marked ended (is_following, is_member, is_listed false) with the time a sync first
-- found it gone. Reachability on the channel stays in channel_reachability, which the sync keeps up to date.

-- One follow relation: member `userid` of the corp has the external contact as a customer. Customer-scoped; remark
-- and description are the member's notes on the person, sealed (bound to channel/external_userid/userid).
CREATE TABLE wecom_follows (
  customer_id     TEXT NOT NULL,
  channel         TEXT NOT NULL,
  external_userid TEXT NOT NULL,
  userid          TEXT NOT NULL,
  remark          TEXT,
  description     TEXT,
  tag_ids         JSON NOT NULL,             -- the corp tag ids the member gave the contact (follow_info.tag_id)
  add_way         INTEGER,                   -- how the contact was added (follow_info.add_way)
  state           TEXT,                      -- the 渠道 state of the 联系我 link they came through, if any
  followed_at     TIMESTAMPTZ,               -- follow_info.createtime
  is_following    BOOLEAN NOT NULL,
  unfollowed_at   TIMESTAMPTZ,
  updated_at      TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, channel, external_userid, userid)
);

-- postgres-only
CREATE INDEX wecom_follows_contact ON wecom_follows (channel, external_userid);

-- A customer group chat (客户群). Reference data: a group is looked up by its chat_id, not by a customer.
CREATE TABLE wecom_groups (
  channel         TEXT NOT NULL,
  chat_id         TEXT NOT NULL,
  name            TEXT,
  owner           TEXT,                      -- the member (userid) who owns it
  notice          TEXT,
  created_at      TIMESTAMPTZ,
  status          INTEGER NOT NULL,          -- 0 owner active; 1 owner left the corp; 2 inheritance under way; 3 inherited
  member_count    INTEGER NOT NULL,
  admins          JSON NOT NULL,             -- userids of its administrators
  member_version  TEXT,                      -- changes whenever the member list does, so an unchanged group is skipped
  is_listed       BOOLEAN NOT NULL,          -- false: gone from groupchat/list (dismissed, or its owner out of range)
  gone_at         TIMESTAMPTZ,
  updated_at      TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel, chat_id)
);

-- An external member of a group: a customer (created from the member when no identity knew them). Customer-scoped;
-- the nickname they use in the group is sealed (bound to channel/chat_id/external_userid).
CREATE TABLE wecom_group_members (
  customer_id     TEXT NOT NULL,
  channel         TEXT NOT NULL,
  chat_id         TEXT NOT NULL,
  external_userid TEXT NOT NULL,
  joined_at       TIMESTAMPTZ,
  join_scene      INTEGER,                   -- 1 invited directly; 2 by an invitation link; 3 by the group's QR code
  invitor         TEXT,                      -- the member (userid) who invited them
  group_nickname  TEXT,
  is_member       BOOLEAN NOT NULL,
  left_at         TIMESTAMPTZ,
  updated_at      TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, channel, chat_id, external_userid)
);

-- postgres-only
CREATE INDEX wecom_group_members_chat ON wecom_group_members (channel, chat_id);

-- A member of the corp (an employee, by userid) in a group: kept as the member id, not as a customer.
CREATE TABLE wecom_group_staff (
  channel         TEXT NOT NULL,
  chat_id         TEXT NOT NULL,
  userid          TEXT NOT NULL,
  joined_at       TIMESTAMPTZ,
  join_scene      INTEGER,
  invitor         TEXT,
  is_admin        BOOLEAN NOT NULL,
  is_member       BOOLEAN NOT NULL,
  left_at         TIMESTAMPTZ,
  updated_at      TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel, chat_id, userid)
);
