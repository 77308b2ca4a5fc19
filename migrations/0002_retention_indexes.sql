CREATE INDEX `audit_events_created` ON `audit_events` (`created_at`);--> statement-breakpoint
CREATE INDEX `event_outbox_failed_at` ON `event_outbox` (`failed_at`);