-- Issue 11, the rest of the event outbox. An SMS hook's event is written as one delivery per
-- recipient (a phone number from the hook's `to`, or the username of a person whose phone is looked
-- up when sending: the person the event is about, or an approver of an access request), so each
-- text is claimed, retried and dead-lettered on its own and a failing number never makes the others
-- receive the same text again. NULL for every other kind: one delivery to the hook's URL.
ALTER TABLE event_deliveries ADD COLUMN recipient VARCHAR(80);

-- SMS deliveries written before this column named no recipient and cannot be sent any more: they go
-- to the dead-letter list with the reason, where admins see them.
UPDATE event_deliveries SET dead_at = CURRENT_TIMESTAMP, last_error = 'written before SMS deliveries named their recipient'
    WHERE delivered_at IS NULL AND dead_at IS NULL AND hook_id IN (SELECT id FROM hooks WHERE kind = 'sms');

-- The hourly retention purge (retention.events_days) finds dead deliveries and old events by time.
CREATE INDEX event_deliveries_dead_at ON event_deliveries (dead_at);
CREATE INDEX events_created ON events (created_at);
