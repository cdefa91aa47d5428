/**
 * The cron (every 5 minutes, wrangler.jsonc `triggers`): the job sweeper, image retention
 * and legacy-SSE and web-session cleanup. Locally there is no cron; trigger it at /cdn-cgi/local/scheduled.
 */
import { getDb } from './db/client';
import { purgeSseState } from './db/sse-store';
import { purgeWebState } from './db/web-sessions';
import { imageRetentionDays } from './env';
import { expireImages } from './jobs/image-removal';
import { type SweepReport, sweepJobs } from './jobs/sweep';
import { SESSION_LIVE_WINDOW_MS } from './worker/legacy-sse/session-limits';

export interface MaintenanceReport extends SweepReport {
	/** Images expired by retention; null when IMAGE_RETENTION_DAYS is not set. */
	expiredImages: number | null;
}

/** Everything the cron does. Each part runs even when another fails; failures are logged and rethrown. */
export async function runMaintenance(env: Env, now: number): Promise<MaintenanceReport> {
	const db = getDb(env);
	const retentionDays = imageRetentionDays(env);
	const [sweep, expired, purged, purgedWeb] = await Promise.allSettled([
		sweepJobs(env, now),
		retentionDays === null ? Promise.resolve(null) : expireImages(env, db, retentionDays, now),
		purgeSseState(db, now, now - SESSION_LIVE_WINDOW_MS),
		purgeWebState(db, now),
	]);
	const failures = [sweep, expired, purged, purgedWeb].flatMap((result) =>
		result.status === 'rejected' ? [result.reason] : [],
	);
	const report: MaintenanceReport = {
		requeued: sweep.status === 'fulfilled' ? sweep.value.requeued : 0,
		failed: sweep.status === 'fulfilled' ? sweep.value.failed : 0,
		expiredImages: expired.status === 'fulfilled' ? expired.value : null,
	};
	if (report.requeued || report.failed || report.expiredImages) {
		console.log(
			`[image-mcp] sweep: re-enqueued ${report.requeued} job(s), failed ${report.failed} abandoned job(s), expired ${report.expiredImages ?? 0} image(s)`,
		);
	}
	for (const failure of failures) console.error('[image-mcp] sweep step failed', failure);
	if (failures.length > 0) throw failures[0];
	return report;
}
