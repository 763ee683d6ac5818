-- WeCom corp tags and group welcome templates (docs/channels.md#wecom-客户联系).

-- The corp's customer tags (企业客户标签, externalcontact/get_corp_tag_list), so the tag ids on a follow relation
-- (wecom_follows.tag_ids) are known by name. Reference data; a tag or group WeCom no longer lists is kept with
-- is_deleted true (as a deleted tag is answered with deleted = true while it still exists).
CREATE TABLE wecom_corp_tags (
  channel         TEXT NOT NULL,
  tag_id          TEXT NOT NULL,
  group_id        TEXT NOT NULL,
  group_name      TEXT NOT NULL,
  name            TEXT NOT NULL,
  sort_order      INTEGER NOT NULL,          -- the tag's order within its group (larger first, as WeCom shows them)
  is_deleted      BOOLEAN NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel, tag_id)
);

-- A group welcome template (入群欢迎语素材, externalcontact/group_welcome_template/*) registered on a WeCom channel:
-- the text, at most one attachment, and the template_id WeCom returned. Reference data, at most 100 a corp.
CREATE TABLE wecom_group_welcome_templates (
  channel         TEXT NOT NULL,
  name            TEXT NOT NULL,
  template_id     TEXT NOT NULL,
  text            TEXT NOT NULL,
  attachment      JSON,                      -- {"kind": "image" | "link" | "miniprogram", …} as registered, or null
  created_at      TIMESTAMPTZ NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel, name)
);
