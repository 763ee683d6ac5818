-- Message channels (docs/channels.md): each configured provider account, the template registry, what providers told
-- us back (receipts, replies, callbacks, each processed once), who can no longer be reached on a channel, and the
-- mini-program subscription credits.

-- One configured channel: the name journeys send through (sms, email, wecom…), its provider, the settings that are
-- not secret, and its credentials, encrypted (a JSON document sealed as one value under the data key).
CREATE TABLE channel_configs (
  name        TEXT PRIMARY KEY,
  provider    TEXT NOT NULL,             -- aliyun_sms | tencent_sms | smtp | wecom | miniprogram
  settings    JSON NOT NULL,
  secrets     TEXT NOT NULL,             -- encrypted JSON
  is_enabled  BOOLEAN NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);

-- The template registry: a message names a template, the channel sends the provider's code with its parameters.
CREATE TABLE channel_templates (
  channel       TEXT NOT NULL,
  name          TEXT NOT NULL,
  provider_code TEXT NOT NULL,           -- SMS_71390007, a Tencent TemplateId, a mini-program template_id
  kind          TEXT NOT NULL,           -- marketing | notification | verification
  body          TEXT NOT NULL,           -- the approved text, with {name} (Aliyun) or {1} (Tencent) placeholders
  params        JSON NOT NULL,           -- the parameter names, in order
  created_at    TIMESTAMPTZ NOT NULL,
  updated_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel, name)
);

-- Everything a provider sent us (a receipt batch, a reply, a callback), by its own id, so a repeat is processed once.
CREATE TABLE channel_events (
  channel      TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  kind         TEXT NOT NULL,            -- receipt | reply | contact_deleted | contact_added | popup | bounce | unsubscribe
  customer_id  TEXT,
  detail       TEXT,
  received_at  TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (channel, event_id)
);

-- Customers a channel can no longer reach (a WeCom contact who deleted the staff member, a hard-bounced address):
-- not a consent decision, but the dispatcher skips them on that channel until they are reachable again.
CREATE TABLE channel_reachability (
  customer_id  TEXT NOT NULL,
  channel      TEXT NOT NULL,
  is_reachable BOOLEAN NOT NULL,
  reason       TEXT,
  changed_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, channel)
);

-- Mini-program one-time subscription credits: each "accept" allows one send of that template to that openid.
CREATE TABLE subscription_credits (
  customer_id  TEXT NOT NULL,
  openid       TEXT NOT NULL,
  template_id  TEXT NOT NULL,
  credits      INTEGER NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (customer_id, openid, template_id)
);

-- postgres-only
CREATE INDEX outbound_messages_provider ON outbound_messages (provider_id);
