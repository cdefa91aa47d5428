CREATE TABLE `confirmations` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`request_hash` text NOT NULL,
	`estimated_cost_usd` real NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `confirmations_expires_idx` ON `confirmations` (`expires_at`);--> statement-breakpoint
CREATE TABLE `preferences` (
	`owner` text PRIMARY KEY NOT NULL,
	`default_model` text,
	`default_aspect_ratio` text,
	`default_width` integer,
	`default_height` integer,
	`previews` text,
	`confirm_above_usd` real,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `styles` (
	`owner` text NOT NULL,
	`name` text NOT NULL,
	`brief` text NOT NULL,
	`tags` text NOT NULL,
	`defaults` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `name`)
);
