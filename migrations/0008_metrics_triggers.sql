-- Prometheus counters (docs/metrics.md), kept inside the statements that already move jobs and
-- store or remove images: each trigger runs within its statement (and its batch's transaction), so
-- a counter costs no D1 statement and is never out of step with the rows. Values only grow; the
-- gauges of stored images and bytes are `:added` − `:removed`. Histogram buckets are not
-- cumulative here (the scrape adds them up) and their bounds are those of src/metrics/families.ts
-- (test/metrics.test.ts checks each one); `:sum_ms` holds milliseconds, exact in a REAL.
--
-- Then the backfill: what the existing rows still show, so a deployed database starts consistent.
CREATE TRIGGER `metrics_job_created` AFTER INSERT ON `jobs`
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_jobs_created_total', json_object('model', NEW.`model`), 1)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_job_finished` AFTER UPDATE OF `status` ON `jobs`
WHEN OLD.`status` IN ('pending', 'processing') AND NEW.`status` IN ('completed', 'failed', 'cancelled')
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_jobs_finished_total', json_object('model', NEW.`model`, 'status', NEW.`status`), 1)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_job_attempt` AFTER UPDATE OF `attempts` ON `jobs`
WHEN NEW.`attempts` > OLD.`attempts`
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_job_attempts_total', json_object('model', NEW.`model`), NEW.`attempts` - OLD.`attempts`)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_job_error` AFTER UPDATE OF `error_code` ON `jobs`
WHEN NEW.`error_code` IS NOT NULL AND NEW.`error_code` <> 'cancelled' AND OLD.`status` IN ('pending', 'processing') AND NEW.`status` IN ('processing', 'failed')
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_job_errors_total', json_object('model', NEW.`model`, 'error_code', NEW.`error_code`), 1)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_job_retry` AFTER UPDATE OF `error_code` ON `jobs`
WHEN NEW.`error_code` IS NOT NULL AND OLD.`status` = 'processing' AND NEW.`status` = 'processing'
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_job_retries_total', json_object('model', NEW.`model`, 'error_code', NEW.`error_code`), 1)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_job_queue_wait` AFTER UPDATE OF `started_at` ON `jobs`
WHEN OLD.`started_at` IS NULL AND NEW.`started_at` IS NOT NULL
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	SELECT 'image_mcp_job_queue_wait_seconds:bucket', json_object('le',
			CASE
				WHEN ms <= 10 THEN '0.01'
				WHEN ms <= 25 THEN '0.025'
				WHEN ms <= 50 THEN '0.05'
				WHEN ms <= 100 THEN '0.1'
				WHEN ms <= 250 THEN '0.25'
				WHEN ms <= 500 THEN '0.5'
				WHEN ms <= 1000 THEN '1'
				WHEN ms <= 2500 THEN '2.5'
				WHEN ms <= 5000 THEN '5'
				WHEN ms <= 10000 THEN '10'
				WHEN ms <= 30000 THEN '30'
				WHEN ms <= 60000 THEN '60'
				WHEN ms <= 300000 THEN '300'
				ELSE '+Inf'
			END), 1
	FROM (SELECT max(0, NEW.`started_at` - NEW.`created_at`) AS ms)
	WHERE true
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_job_queue_wait_seconds:sum_ms', json_object(), max(0, NEW.`started_at` - NEW.`created_at`))
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_generation_duration` AFTER UPDATE OF `status` ON `jobs`
WHEN OLD.`status` = 'processing' AND NEW.`status` = 'completed' AND NEW.`started_at` IS NOT NULL AND NEW.`completed_at` IS NOT NULL
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	SELECT 'image_mcp_generation_duration_seconds:bucket', json_object('model', NEW.`model`, 'le',
			CASE
				WHEN ms <= 50 THEN '0.05'
				WHEN ms <= 100 THEN '0.1'
				WHEN ms <= 250 THEN '0.25'
				WHEN ms <= 500 THEN '0.5'
				WHEN ms <= 1000 THEN '1'
				WHEN ms <= 2500 THEN '2.5'
				WHEN ms <= 5000 THEN '5'
				WHEN ms <= 10000 THEN '10'
				WHEN ms <= 20000 THEN '20'
				WHEN ms <= 30000 THEN '30'
				WHEN ms <= 60000 THEN '60'
				WHEN ms <= 120000 THEN '120'
				WHEN ms <= 300000 THEN '300'
				ELSE '+Inf'
			END), 1
	FROM (SELECT max(0, NEW.`completed_at` - NEW.`started_at`) AS ms)
	WHERE true
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_generation_duration_seconds:sum_ms', json_object('model', NEW.`model`), max(0, NEW.`completed_at` - NEW.`started_at`))
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_image_stored` AFTER INSERT ON `images`
WHEN NEW.`removed_at` IS NULL
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_images_stored:added', json_object(), 1),
		('image_mcp_images_stored_bytes:added', json_object(), NEW.`bytes`)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_image_removed` AFTER UPDATE OF `removed_at` ON `images`
WHEN OLD.`removed_at` IS NULL AND NEW.`removed_at` IS NOT NULL
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_images_stored:removed', json_object(), 1),
		('image_mcp_images_stored_bytes:removed', json_object(), NEW.`bytes`)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_image_restored` AFTER UPDATE OF `removed_at` ON `images`
WHEN OLD.`removed_at` IS NOT NULL AND NEW.`removed_at` IS NULL
BEGIN
	INSERT INTO `metric_counters` (`name`, `labels`, `value`)
	VALUES ('image_mcp_images_stored:added', json_object(), 1),
		('image_mcp_images_stored_bytes:added', json_object(), NEW.`bytes`)
	ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
END;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_jobs_created_total', json_object('model', `model`), count(*)
FROM `jobs`
WHERE true
GROUP BY `model`
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_jobs_finished_total', json_object('model', `model`, 'status', `status`), count(*)
FROM `jobs`
WHERE `status` IN ('completed', 'failed', 'cancelled')
GROUP BY `model`, `status`
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_job_attempts_total', json_object('model', `model`), sum(`attempts`)
FROM `jobs`
WHERE `attempts` > 0
GROUP BY `model`
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_job_errors_total', json_object('model', `model`, 'error_code', `error_code`), count(*)
FROM `jobs`
WHERE `status` = 'failed' AND `error_code` IS NOT NULL
GROUP BY `model`, `error_code`
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_job_queue_wait_seconds:bucket', json_object('le', `le`), count(*)
FROM (
	SELECT
		CASE
			WHEN ms <= 10 THEN '0.01'
			WHEN ms <= 25 THEN '0.025'
			WHEN ms <= 50 THEN '0.05'
			WHEN ms <= 100 THEN '0.1'
			WHEN ms <= 250 THEN '0.25'
			WHEN ms <= 500 THEN '0.5'
			WHEN ms <= 1000 THEN '1'
			WHEN ms <= 2500 THEN '2.5'
			WHEN ms <= 5000 THEN '5'
			WHEN ms <= 10000 THEN '10'
			WHEN ms <= 30000 THEN '30'
			WHEN ms <= 60000 THEN '60'
			WHEN ms <= 300000 THEN '300'
			ELSE '+Inf'
		END AS `le`
	FROM (SELECT max(0, `started_at` - `created_at`) AS ms FROM `jobs` WHERE `started_at` IS NOT NULL)
)
WHERE true
GROUP BY `le`
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_job_queue_wait_seconds:sum_ms', json_object(), coalesce(sum(max(0, `started_at` - `created_at`)), 0)
FROM `jobs`
WHERE `started_at` IS NOT NULL
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_generation_duration_seconds:bucket', json_object('model', `model`, 'le', `le`), count(*)
FROM (
	SELECT `model`,
		CASE
			WHEN ms <= 50 THEN '0.05'
			WHEN ms <= 100 THEN '0.1'
			WHEN ms <= 250 THEN '0.25'
			WHEN ms <= 500 THEN '0.5'
			WHEN ms <= 1000 THEN '1'
			WHEN ms <= 2500 THEN '2.5'
			WHEN ms <= 5000 THEN '5'
			WHEN ms <= 10000 THEN '10'
			WHEN ms <= 20000 THEN '20'
			WHEN ms <= 30000 THEN '30'
			WHEN ms <= 60000 THEN '60'
			WHEN ms <= 120000 THEN '120'
			WHEN ms <= 300000 THEN '300'
			ELSE '+Inf'
		END AS `le`
	FROM (SELECT `model`, max(0, `completed_at` - `started_at`) AS ms FROM `jobs` WHERE `status` = 'completed' AND `started_at` IS NOT NULL AND `completed_at` IS NOT NULL)
)
WHERE true
GROUP BY `model`, `le`
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_generation_duration_seconds:sum_ms', json_object('model', `model`), sum(max(0, `completed_at` - `started_at`))
FROM `jobs`
WHERE `status` = 'completed' AND `started_at` IS NOT NULL AND `completed_at` IS NOT NULL
GROUP BY `model`
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_images_stored:added', json_object(), count(*)
FROM `images`
WHERE true
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_images_stored_bytes:added', json_object(), coalesce(sum(`bytes`), 0)
FROM `images`
WHERE true
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_images_stored:removed', json_object(), count(*)
FROM `images`
WHERE `removed_at` IS NOT NULL
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
--> statement-breakpoint
INSERT INTO `metric_counters` (`name`, `labels`, `value`)
SELECT 'image_mcp_images_stored_bytes:removed', json_object(), coalesce(sum(`bytes`), 0)
FROM `images`
WHERE `removed_at` IS NOT NULL
ON CONFLICT (`name`, `labels`) DO UPDATE SET `value` = `value` + excluded.`value`;
