/**
 * Jobs (issue 18): one call's jobs with their live status and images as they finish
 * (get_job_status), my jobs in progress and recently finished (list_jobs), and cancelling
 * (cancel_job). Without script a page still in progress reloads itself every few seconds;
 * with script (jobs.assets.ts) it polls GET /ui/jobs/:jobId/status.json, or for several jobs
 * GET /ui/jobs/active.json, and updates in place. Every read is the operations' own, scoped
 * to the signed-in user: another user's job is a 404 like a missing one.
 */
import type { Context, Hono } from 'hono';
import { raw } from 'hono/html';
import type { ToolOutcome } from '../../tools/context';
import { getJobStatusTool, listJobsTool, MAX_JOBS_PER_CALL, MAX_PAGE_LIMIT } from '../../tools/jobs.tools';
import { formatUsd } from '../../tools/limits';
import { cancelJobTool } from '../../tools/manage.tools';
import { jobsPagePath } from './generate-form';
import { StatusBadge, shortTime, statusWords, THUMB_EDGE, thumbnailUrl } from './job-parts';
import { CsrfField, Layout, type Viewer } from './layout';
import { messagePage } from './message';
import { formFields, htmlPage, runWebOperation, seeOther, viewerOf, type WebEnv } from './page';

/** How many finished jobs the list shows, from how many of the latest. */
const FINISHED_SHOWN = 20;

/** Seconds between reloads of a page in progress when script is off. */
export const RELOAD_SECONDS = { job: 2, list: 5 } as const;

/** A job as get_job_status and list_jobs show it (src/tools/job-view.ts), the fields these pages use. */
interface JobView {
	job_id: string;
	status: string;
	done: boolean;
	prompt: string;
	prompt_given?: string;
	model: string;
	model_choice?: string;
	style?: string;
	width: number;
	height: number;
	seed: number | null;
	negative_prompt?: string;
	estimated_cost_usd: number;
	images: { index: number; url: string; width: number; height: number; seed: number | null }[];
	removed_images?: { index: number; message: string }[];
	error?: string;
	created_at: string;
	completed_at?: string;
}

const promptOf = (job: JobView) => job.prompt_given ?? job.prompt;

/** The words of the status region: one job's state, or how many of a call's jobs are in each. */
export function summaryText(jobs: readonly Pick<JobView, 'status' | 'error'>[]): string {
	if (jobs.length === 1) {
		const [job] = jobs;
		const { label } = statusWords(job!.status);
		return job!.status === 'failed' && job!.error ? `${label}: ${job!.error}` : `${label}.`;
	}
	const counts = new Map<string, number>();
	for (const job of jobs) counts.set(job.status, (counts.get(job.status) ?? 0) + 1);
	const parts = ['completed', 'processing', 'pending', 'failed', 'cancelled'].flatMap((status) =>
		counts.get(status) ? [`${counts.get(status)} ${statusWords(status).label.toLowerCase()}`] : [],
	);
	return `${jobs.length} images: ${parts.join(', ')}.`;
}

/** What a job's card says beside its status. */
function jobNote(job: JobView): string {
	switch (job.status) {
		case 'pending':
			return 'Waiting for its turn.';
		case 'processing':
			return 'The image is being made.';
		case 'failed':
			return job.error ?? 'It failed.';
		case 'cancelled':
			return 'Cancelled: no image.';
		default:
			return job.removed_images?.length && job.images.length === 0 ? job.removed_images[0]!.message : '';
	}
}

/** An image's thumbnail, linking to its page; its box keeps the image's shape. */
const Thumbnail = ({ job, image }: { job: JobView; image: JobView['images'][number] }) => {
	const scale = THUMB_EDGE / Math.max(image.width, image.height, 1);
	return (
		<a class="thumb" href={`/ui/images/${job.job_id}/${image.index}`}>
			<img
				src={thumbnailUrl(image.url)}
				alt={`${promptOf(job).slice(0, 120)} (image ${image.index + 1})`}
				width={Math.round(image.width * scale)}
				height={Math.round(image.height * scale)}
				loading="lazy"
			/>
		</a>
	);
};

/**
 * Without script, a page in progress reloads itself. Written as raw HTML: Hono's JSX would
 * hoist a <meta> into the head, out of the <noscript>, and reload pages that poll as well.
 */
const ReloadWhileRunning = ({ seconds }: { seconds: number }) =>
	raw(`<noscript><meta http-equiv="refresh" content="${Math.trunc(seconds)}"></noscript>`);

const JobPage = ({
	viewer,
	jobs,
	also,
	notice,
}: {
	viewer: Viewer;
	jobs: JobView[];
	also: string[];
	notice?: string | undefined;
}) => {
	const first = jobs[0]!;
	const running = jobs.some((job) => !job.done);
	const single = jobs.length === 1;
	const cost = jobs.reduce((sum, job) => sum + job.estimated_cost_usd, 0);
	const again = `/ui/generate?${new URLSearchParams({ prompt: promptOf(first), model: first.model })}`;
	return (
		<Layout title={single ? 'Job' : `${jobs.length} images`} active="jobs" viewer={viewer}>
			{running ? <ReloadWhileRunning seconds={RELOAD_SECONDS.job} /> : null}
			<p class="crumbs">
				<a href="/ui/jobs">All jobs</a>
			</p>
			<h1>{single ? 'Job' : `Generation of ${jobs.length} images`}</h1>
			{notice ? (
				<p class="notice" role="status">
					{notice}
				</p>
			) : null}
			<section class="job-group" data-live-jobs aria-labelledby="job-summary-title">
				<h2 id="job-summary-title" class="visually-hidden">
					Status
				</h2>
				<p class="summary" id="job-summary" role="status" aria-live="polite" data-job-summary>
					{summaryText(jobs)}
				</p>
				<ul class="job-cards">
					{jobs.map((job) => (
						<li
							class="job-card"
							data-job-id={job.job_id}
							data-done={String(job.done)}
							data-status={job.status}
							data-error={job.error}
							data-prompt={promptOf(job)}
						>
							<p class="job-line">
								<StatusBadge status={job.status} /> <span data-field="note">{jobNote(job)}</span>
							</p>
							<div class="thumbs" data-field="images">
								{job.images.map((image) => (
									<Thumbnail job={job} image={image} />
								))}
							</div>
						</li>
					))}
				</ul>
				{running ? (
					<p class="hint" data-refresh-note>
						Images appear here as they finish. <a href={jobsPagePath([first.job_id, ...also])}>Refresh</a>
					</p>
				) : null}
			</section>
			{running && !viewer.readOnly ? (
				<form method="post" action={`/ui/jobs/${first.job_id}/cancel`} data-cancel-all>
					<CsrfField token={viewer.csrf} />
					{also.length ? <input type="hidden" name="also" value={also.join(',')} /> : null}
					<button type="submit" class="danger">
						{single ? 'Cancel this job' : 'Cancel the unfinished jobs'}
					</button>
				</form>
			) : null}
			<h2>Details</h2>
			<dl class="facts">
				<dt>Prompt</dt>
				<dd class="prompt">{promptOf(first)}</dd>
				{first.style ? (
					<>
						<dt>Style</dt>
						<dd>{first.style}</dd>
					</>
				) : null}
				{first.negative_prompt ? (
					<>
						<dt>Negative prompt</dt>
						<dd>{first.negative_prompt}</dd>
					</>
				) : null}
				<dt>Model</dt>
				<dd>
					{first.model}
					{first.model_choice ? ` (${first.model_choice})` : ''}
				</dd>
				<dt>Size</dt>
				<dd>
					{first.width}×{first.height}
				</dd>
				<dt>Images</dt>
				<dd>{jobs.length}</dd>
				{first.seed !== null ? (
					<>
						<dt>Seed</dt>
						<dd>{single ? first.seed : `${first.seed} (image i uses seed + i)`}</dd>
					</>
				) : null}
				<dt>Estimated cost</dt>
				<dd>{formatUsd(cost)}</dd>
				<dt>Started</dt>
				<dd>
					<time datetime={first.created_at}>{shortTime(first.created_at)}</time>
				</dd>
				<dt>Job id</dt>
				<dd>
					<code>{first.job_id}</code>
				</dd>
			</dl>
			{viewer.readOnly ? null : (
				<p>
					<a href={again}>Generate again with this prompt</a>
				</p>
			)}
		</Layout>
	);
};

const CancelButton = ({ job, viewer }: { job: JobView; viewer: Viewer }) =>
	viewer.readOnly ? null : (
		<form method="post" action={`/ui/jobs/${job.job_id}/cancel`} data-cancel>
			<CsrfField token={viewer.csrf} />
			<input type="hidden" name="next" value="list" />
			<button type="submit" class="danger" aria-label={`Cancel: ${promptOf(job).slice(0, 60)}`}>
				Cancel
			</button>
		</form>
	);

const JobsPage = ({
	viewer,
	active,
	finished,
	notice,
}: {
	viewer: Viewer;
	active: JobView[];
	finished: JobView[];
	notice?: string | undefined;
}) => (
	<Layout title="Jobs" active="jobs" viewer={viewer}>
		{active.length ? <ReloadWhileRunning seconds={RELOAD_SECONDS.list} /> : null}
		<h1>Jobs</h1>
		{notice ? (
			<p class="notice" role="status">
				{notice}
			</p>
		) : null}
		{active.length === 0 && finished.length === 0 ? (
			<p class="empty">
				You have no jobs yet.
				{viewer.readOnly ? null : (
					<>
						{' '}
						<a href="/ui/generate">Generate an image</a>.
					</>
				)}
			</p>
		) : null}
		<section data-live-jobs aria-labelledby="active-title">
			<h2 id="active-title">In progress</h2>
			<p class="visually-hidden" role="status" aria-live="polite" data-job-announce></p>
			{active.length ? (
				<table class="jobs">
					<thead>
						<tr>
							<th scope="col">Status</th>
							<th scope="col">Prompt</th>
							<th scope="col">Model</th>
							<th scope="col">Started</th>
							{viewer.readOnly ? null : (
								<th scope="col">
									<span class="visually-hidden">Cancel</span>
								</th>
							)}
						</tr>
					</thead>
					<tbody>
						{active.map((job) => (
							<tr
								class="job-card"
								data-job-id={job.job_id}
								data-done="false"
								data-status={job.status}
								data-prompt={promptOf(job)}
							>
								<td>
									<StatusBadge status={job.status} />
								</td>
								<td class="prompt">
									<a href={`/ui/jobs/${job.job_id}`}>{promptOf(job).slice(0, 120)}</a>
								</td>
								<td>{job.model}</td>
								<td>
									<time datetime={job.created_at}>{shortTime(job.created_at)}</time>
								</td>
								{viewer.readOnly ? null : (
									<td>
										<CancelButton job={job} viewer={viewer} />
									</td>
								)}
							</tr>
						))}
					</tbody>
				</table>
			) : (
				<p>Nothing in progress.</p>
			)}
		</section>
		<section aria-labelledby="finished-title">
			<h2 id="finished-title">Recently finished</h2>
			{finished.length ? (
				<table class="jobs">
					<thead>
						<tr>
							<th scope="col">Status</th>
							<th scope="col">Prompt</th>
							<th scope="col">Model</th>
							<th scope="col" class="num">
								Images
							</th>
							<th scope="col">Finished</th>
						</tr>
					</thead>
					<tbody>
						{finished.map((job) => (
							<tr>
								<td>
									<StatusBadge status={job.status} />
								</td>
								<td class="prompt">
									<a href={`/ui/jobs/${job.job_id}`}>{promptOf(job).slice(0, 120)}</a>
								</td>
								<td>{job.model}</td>
								<td class="num">{job.images.length}</td>
								<td>
									{job.completed_at ? <time datetime={job.completed_at}>{shortTime(job.completed_at)}</time> : null}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			) : (
				<p>No finished jobs yet.</p>
			)}
		</section>
	</Layout>
);

/** A refusal to read a job as the page to show: a bad id is 400, a job not mine (or none) 404. */
function jobRefusalPage(c: Context<WebEnv>, outcome: Extract<ToolOutcome, { ok: false }>): Promise<Response> {
	if (outcome.error.kind === 'not_found') {
		return messagePage(c, 404, 'No such job', 'There is no job with this id among yours. The Jobs page lists them.');
	}
	if (outcome.error.kind === 'read_only') {
		return messagePage(c, 403, 'Cancelling is off', 'This server is read-only: it changes no job.');
	}
	if (outcome.error.kind === undefined || outcome.error.kind === 'invalid') {
		return messagePage(c, 400, 'Not a job id', 'This address does not name a job. The Jobs page lists yours.');
	}
	throw new Error(`job page: ${outcome.error.message}`);
}

/** The other jobs of the call (`?also=`), each read through get_job_status; ids not mine are left out. */
function alsoIds(raw: string | undefined, first: string): string[] {
	const ids = (raw ?? '')
		.split(',')
		.map((id) => id.trim().toLowerCase())
		.filter((id) => id !== '' && id !== first.toLowerCase());
	return [...new Set(ids)].slice(0, MAX_JOBS_PER_CALL - 1);
}

function readJob(c: Context<WebEnv>, jobId: string): Promise<ToolOutcome> {
	return runWebOperation(c, getJobStatusTool, { job_id: jobId, preview: 'none' });
}

const CANCEL_NOTICES = {
	none: 'Nothing to cancel: it had already finished.',
	some: (count: number) =>
		`Cancelled ${count === 1 ? 'the job' : `${count} jobs`}: no more images will be made. A provider call already under way may still be billed.`,
};

function cancelNotice(value: string | undefined): string | undefined {
	if (value === undefined || !/^\d{1,2}$/.test(value)) return undefined;
	const count = Number(value);
	return count === 0 ? CANCEL_NOTICES.none : CANCEL_NOTICES.some(count);
}

async function jobPage(c: Context<WebEnv>): Promise<Response> {
	const jobId = c.req.param('jobId') ?? '';
	const first = await readJob(c, jobId);
	if (!first.ok) return jobRefusalPage(c, first);
	const view = first.value.structured as unknown as JobView;
	const others = await Promise.all(alsoIds(c.req.query('also'), view.job_id).map((id) => readJob(c, id)));
	const rest = others.flatMap((outcome) => (outcome.ok ? [outcome.value.structured as unknown as JobView] : []));
	return htmlPage(
		c,
		<JobPage
			viewer={viewerOf(c)}
			jobs={[view, ...rest]}
			also={rest.map((job) => job.job_id)}
			notice={cancelNotice(c.req.query('cancelled'))}
		/>,
	);
}

async function listJobs(c: Context<WebEnv>, status: string, limit: number): Promise<JobView[]> {
	const outcome = await runWebOperation(c, listJobsTool, { status, limit });
	if (!outcome.ok) throw new Error(`list_jobs failed: ${outcome.error.message}`);
	return outcome.value.structured.jobs as JobView[];
}

/** My jobs still queued or processing, oldest first (the order they will finish in). */
async function activeJobs(c: Context<WebEnv>): Promise<JobView[]> {
	const [pending, processing] = await Promise.all([
		listJobs(c, 'pending', MAX_PAGE_LIMIT),
		listJobs(c, 'processing', MAX_PAGE_LIMIT),
	]);
	return [...processing, ...pending].sort((a, b) => a.created_at.localeCompare(b.created_at));
}

async function jobsPage(c: Context<WebEnv>): Promise<Response> {
	const [active, latest] = await Promise.all([activeJobs(c), listJobs(c, 'all', MAX_PAGE_LIMIT)]);
	const finished = latest.filter((job) => job.done).slice(0, FINISHED_SHOWN);
	return htmlPage(
		c,
		<JobsPage
			viewer={viewerOf(c)}
			active={active}
			finished={finished}
			notice={cancelNotice(c.req.query('cancelled'))}
		/>,
	);
}

const JSON_HEADERS = { 'cache-control': 'no-store' };

async function statusJson(c: Context<WebEnv>): Promise<Response> {
	const outcome = await readJob(c, c.req.param('jobId') ?? '');
	if (outcome.ok) return c.json(outcome.value.structured, 200, JSON_HEADERS);
	const status = outcome.error.kind === 'not_found' ? 404 : outcome.error.kind === 'internal' ? 500 : 400;
	return c.json({ error: outcome.error.message }, status, JSON_HEADERS);
}

async function cancel(c: Context<WebEnv>): Promise<Response> {
	const jobId = c.req.param('jobId') ?? '';
	const fields = await formFields(c);
	const also = alsoIds(fields.also, jobId);
	const outcome = await runWebOperation(
		c,
		cancelJobTool,
		also.length ? { job_ids: [jobId, ...also] } : { job_id: jobId },
	);
	if (!outcome.ok) return jobRefusalPage(c, outcome);
	const cancelled = Number(outcome.value.structured.cancelled_count ?? 0);
	if (fields.next === 'list') return seeOther(`/ui/jobs?cancelled=${cancelled}`);
	const path = jobsPagePath([jobId, ...also]);
	return seeOther(`${path}${path.includes('?') ? '&' : '?'}cancelled=${cancelled}`);
}

export function registerJobPages(web: Hono<WebEnv>) {
	web.get('/jobs', jobsPage);
	web.get('/jobs/active.json', async (c) => c.json({ jobs: await activeJobs(c) }, 200, JSON_HEADERS));
	web.get('/jobs/:jobId', jobPage);
	web.get('/jobs/:jobId/status.json', statusJson);
	web.post('/jobs/:jobId/cancel', cancel);
}
