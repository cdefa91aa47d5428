CREATE TABLE `client_capabilities` (
	`owner` text PRIMARY KEY NOT NULL,
	`elicitation` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `elicitations` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`expires_at` integer NOT NULL,
	`answer` text
);
--> statement-breakpoint
CREATE INDEX `elicitations_expires_idx` ON `elicitations` (`expires_at`);--> statement-breakpoint
ALTER TABLE `sse_sessions` ADD `elicitation` integer DEFAULT false NOT NULL;