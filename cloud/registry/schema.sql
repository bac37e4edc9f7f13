-- registry.db of mos-cloud (contract: CLOUD_CONTRACT.md). Written by mos-cloud,
-- read by the Mosquitto policy plugin. Opened in WAL mode with foreign keys on.
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
  -- rows: account_id (12 digits, default 123456789012), region (default us-east-1)
CREATE TABLE IF NOT EXISTS certificates(
  id TEXT PRIMARY KEY,            -- lowercase hex SHA-256 of the certificate DER
  arn TEXT NOT NULL UNIQUE,       -- arn:aws:iot:<region>:<account>:cert/<id>
  status TEXT NOT NULL,           -- ACTIVE | INACTIVE | REVOKED | PENDING_TRANSFER | REGISTER_INACTIVE | PENDING_ACTIVATION
  pem TEXT NOT NULL,
  subject TEXT NOT NULL,          -- e.g. CN=esp8266_A1B2C3
  ca_certificate_id TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,   -- unix seconds
  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,
  generation_id INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS policies(
  name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, default_version INTEGER NOT NULL,
  next_version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS policy_versions(
  policy_name TEXT NOT NULL REFERENCES policies(name) ON DELETE CASCADE,
  version INTEGER NOT NULL, document TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY(policy_name, version));
CREATE TABLE IF NOT EXISTS principal_policies(   -- AttachPolicy / AttachPrincipalPolicy
  principal TEXT NOT NULL,        -- certificate ARN (or other principal ARN)
  policy_name TEXT NOT NULL REFERENCES policies(name),
  PRIMARY KEY(principal, policy_name));
CREATE TABLE IF NOT EXISTS things(
  name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, thing_id TEXT NOT NULL,
  thing_type TEXT, attributes TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS thing_principals(
  thing_name TEXT NOT NULL REFERENCES things(name), principal TEXT NOT NULL,
  PRIMARY KEY(thing_name, principal));
CREATE TABLE IF NOT EXISTS connections(  -- written by the policy plugin, read by mos cloud status
  client_id TEXT PRIMARY KEY,     -- MQTT client id as the broker saw it (any bytes a client chose)
  certificate_id TEXT NOT NULL,   -- lowercase hex SHA-256 of the client certificate DER
  thing_name TEXT,                -- the attached thing named like the client id, if any
  session INTEGER NOT NULL,       -- plugin's per-CONNECT counter: a takeover's old DISCONNECT
                                  -- must not delete the new session's row
  connected_at INTEGER NOT NULL); -- unix seconds
CREATE TABLE IF NOT EXISTS denials(      -- written by the policy plugin, read by mos cloud denials
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an id is never reused, so "after id N" polls are exact
  at_ms INTEGER NOT NULL,                -- unix milliseconds
  client_id TEXT NOT NULL,               -- MQTT client id as the broker saw it (any bytes), capped by the plugin
  certificate_id TEXT NOT NULL,          -- lowercase hex SHA-256 of the certificate DER; '-' or '' when unknown
  action TEXT NOT NULL,                  -- iot:Connect | iot:Publish | iot:Receive | iot:Subscribe
  resource TEXT NOT NULL,                -- the ARN that was checked, capped by the plugin
  reason TEXT NOT NULL);                 -- why: the deciding statement, the missing allow, or the broken limit
  -- The plugin keeps the newest 1000 rows: each insert deletes the older ones
  -- in the same transaction (a ring; a flood of denials cannot grow the file).
