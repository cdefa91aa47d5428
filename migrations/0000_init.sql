CREATE TABLE `images` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`idx` integer NOT NULL,
	`owner` text NOT NULL,
	`r2_key` text NOT NULL,
	`content_type` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`bytes` integer NOT NULL,
	`seed` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `images_owner_created_idx` ON `images` (`owner`,`created_at`);--> statement-breakpoint
CREATE INDEX `images_job_idx` ON `images` (`job_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`prompt` text NOT NULL,
	`model` text NOT NULL,
	`params` text NOT NULL,
	`seed` integer,
	`batch_id` text,
	`idempotency_key` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`error_code` text,
	`error` text,
	`estimated_cost_usd` real DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `jobs_owner_created_idx` ON `jobs` (`owner`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_owner_status_created_idx` ON `jobs` (`owner`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_status_updated_idx` ON `jobs` (`status`,`updated_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_owner_idempotency_idx` ON `jobs` (`owner`,`idempotency_key`) WHERE idempotency_key IS NOT NULL;