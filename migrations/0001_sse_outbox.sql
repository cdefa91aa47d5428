CREATE TABLE `sse_outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`payload` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sse_outbox_session_seq_idx` ON `sse_outbox` (`session_id`,`seq`);--> statement-breakpoint
CREATE INDEX `sse_outbox_expires_idx` ON `sse_outbox` (`expires_at`);--> statement-breakpoint
CREATE TABLE `sse_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`created_at` integer NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sse_sessions_owner_seen_idx` ON `sse_sessions` (`owner`,`seen_at`);--> statement-breakpoint
CREATE INDEX `sse_sessions_seen_idx` ON `sse_sessions` (`seen_at`);