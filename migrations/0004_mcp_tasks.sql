CREATE TABLE `log_levels` (
	`owner` text PRIMARY KEY NOT NULL,
	`level` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `jobs` ADD `tool` text;--> statement-breakpoint
CREATE INDEX `jobs_owner_batch_idx` ON `jobs` (`owner`,`batch_id`) WHERE batch_id IS NOT NULL;