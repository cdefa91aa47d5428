ALTER TABLE `images` ADD `removed_at` integer;--> statement-breakpoint
ALTER TABLE `images` ADD `removed_reason` text;--> statement-breakpoint
CREATE INDEX `images_live_created_idx` ON `images` (`created_at`) WHERE removed_at IS NULL;