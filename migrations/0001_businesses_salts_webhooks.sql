CREATE TABLE `event_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`business_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`enqueued_at` integer,
	`delivered_at` integer,
	`failed_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status` text
);
--> statement-breakpoint
CREATE INDEX `event_outbox_unsent` ON `event_outbox` (`enqueued_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `event_outbox_failed` ON `event_outbox` (`business_id`,`failed_at`);--> statement-breakpoint
CREATE INDEX `event_outbox_delivered` ON `event_outbox` (`delivered_at`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`business_id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `tenants_user_name_unique`;--> statement-breakpoint
ALTER TABLE `tenants` ADD `business_id` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `password_salt` text;--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_business_user_name` ON `tenants` (`business_id`,`user_name`);