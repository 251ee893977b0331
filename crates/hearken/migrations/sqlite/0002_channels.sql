-- Issue #6: connected accounts with credentials, accept-then-process webhook deliveries,
-- parked out-of-order events and the completeness ledger. Times are epoch ms (UTC).

-- Platform credentials of a connected account. The secrets are one JSON document sealed
-- with XChaCha20-Poly1305 under HEARKEN_SECRET_KEY; only masks are kept in clear.
CREATE TABLE account_connections (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    -- The account's own id on the platform (page id, X user id, Mastodon account id).
    platform_user_id TEXT NOT NULL,
    -- Our app id on the platform, to tell our echoes from replies typed in the native app.
    app_id TEXT,
    -- Base URL for polling (Mastodon instance), when the channel is polled.
    base_url TEXT,
    -- Nonce || ciphertext of the credentials JSON.
    sealed_credentials BLOB NOT NULL,
    -- Masked forms of each credential ({"app_secret":"••••a1b2"}), safe to show.
    credential_masks TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX account_connections_ws ON account_connections (workspace_id);

-- Every webhook delivery exactly as received, written before the endpoint answers 200.
-- state: pending (not yet processed), done, failed (the body could not be used at all).
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    channel TEXT NOT NULL,
    -- The raw request body, byte for byte.
    body BLOB NOT NULL,
    -- The request headers processing needs (content type, signature), as JSON.
    headers TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    processed_at INTEGER,
    -- What processing made of it: counts of messages, edits, deletes, echoes, skips.
    outcome TEXT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (workspace_id, account_id, id);

-- Edits and deletions that arrived before the item they change; applied when it arrives.
CREATE TABLE parked_events (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    channel TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    -- edit or delete
    kind TEXT NOT NULL,
    -- The connectors' InboundEvent as JSON.
    event TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX parked_events_item ON parked_events (workspace_id, channel, platform_id);

-- Completeness per account and source (webhook, poll): what arrived, how late, what failed.
CREATE TABLE ingest_ledger (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    source TEXT NOT NULL,
    -- Platform id and platform time of the newest item seen.
    last_item_id TEXT,
    last_item_at INTEGER,
    -- When the last delivery or poll result arrived.
    last_arrival_at INTEGER,
    deliveries INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0,
    -- Delivery lag (arrival minus platform time): count, sum and maximum, in ms.
    lag_count INTEGER NOT NULL DEFAULT 0,
    lag_sum_ms INTEGER NOT NULL DEFAULT 0,
    lag_max_ms INTEGER NOT NULL DEFAULT 0,
    -- Smoothed gap between arrivals, the source's "normal gap" for the quiet alert.
    normal_gap_ms INTEGER,
    failed_signatures INTEGER NOT NULL DEFAULT 0,
    -- Items a reconciliation poll found missing, and how many of them it stored.
    gaps_found INTEGER NOT NULL DEFAULT 0,
    gaps_filled INTEGER NOT NULL DEFAULT 0,
    -- Polling cursor (Mastodon: newest status id seen).
    cursor TEXT,
    last_reconciled_at INTEGER,
    -- When a quiet alert was last raised, so it is raised once per quiet spell.
    quiet_alerted_at INTEGER,
    PRIMARY KEY (account_id, source)
);
CREATE INDEX ingest_ledger_ws ON ingest_ledger (workspace_id);
