/**
 * The Jobs pages' part of the app's stylesheet and script (src/worker/web/assets.ts). The
 * script updates a page of jobs in progress in place: one job polls its
 * /ui/jobs/:jobId/status.json about every second; several poll /ui/jobs/active.json and read
 * each one that left it once. It stops when every job has finished, backs off on errors and
 * says when it gave up. Its words and thumbnails match src/worker/web/jobs.tsx and
 * job-parts.tsx; without it those pages reload themselves while a job runs.
 */
import { THUMB_EDGE } from './job-parts';

export const JOBS_CSS = `
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; border: 1px solid currentColor; font-size: 14px; font-weight: 600; white-space: nowrap; }
.badge.ok { color: var(--ok); }
.badge.bad { color: var(--bad); }
.badge.wait { color: var(--accent); }
.badge.off { color: var(--muted); }
.crumbs { margin: 0 0 6px; font-size: 14px; }
.summary { font-size: 18px; font-weight: 600; margin: 10px 0; }
ul.job-cards { list-style: none; padding: 0; margin: 8px 0; display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); }
li.job-card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 10px 12px; }
.job-line { margin: 0 0 6px; overflow-wrap: anywhere; }
.thumbs { display: flex; flex-wrap: wrap; gap: 8px; }
a.thumb { display: block; border-radius: 8px; overflow: hidden; border: 1px solid var(--line); line-height: 0; }
a.thumb img { max-width: 100%; height: auto; background: var(--code); }
dd.prompt { white-space: pre-wrap; }
td.prompt { max-width: 420px; overflow-wrap: anywhere; }
table.jobs form { margin: 0; }
.empty { font-size: 18px; }
@media (max-width: 600px) { table.jobs th:nth-child(4), table.jobs td:nth-child(4) { display: none; } }
`;

export const JOBS_SCRIPT = `
const root = document.querySelector('[data-live-jobs]');
const cards = root ? [...root.querySelectorAll('[data-job-id]')] : [];
if (cards.some((card) => card.dataset.done === 'false')) {
	const WORDS = {
		pending: ['Queued', 'wait'],
		processing: ['Processing', 'wait'],
		completed: ['Done', 'ok'],
		failed: ['Failed', 'bad'],
		cancelled: ['Cancelled', 'off'],
	};
	const words = (status) => WORDS[status] || [status, 'off'];
	const summary = root.querySelector('[data-job-summary]');
	const announce = root.querySelector('[data-job-announce]');
	const statusUrl = (id) => '/ui/jobs/' + encodeURIComponent(id) + '/status.json';
	const thumbnailUrl = (url) => url + (url.includes('?') ? '&' : '?') + 'w=${THUMB_EDGE * 2}';
	const note = (view) => {
		if (view.status === 'pending') return 'Waiting for its turn.';
		if (view.status === 'processing') return 'The image is being made.';
		if (view.status === 'failed') return view.error || 'It failed.';
		if (view.status === 'cancelled') return 'Cancelled: no image.';
		const removed = view.removed_images || [];
		return removed.length && view.images.length === 0 ? removed[0].message : '';
	};
	const thumbnail = (card, view, image) => {
		const link = document.createElement('a');
		link.className = 'thumb';
		link.href = '/ui/images/' + encodeURIComponent(view.job_id) + '/' + image.index;
		const img = document.createElement('img');
		const scale = ${THUMB_EDGE} / Math.max(image.width, image.height, 1);
		img.src = thumbnailUrl(image.url);
		img.alt = card.dataset.prompt.slice(0, 120) + ' (image ' + (image.index + 1) + ')';
		img.width = Math.round(image.width * scale);
		img.height = Math.round(image.height * scale);
		link.append(img);
		return link;
	};
	const summaryText = () => {
		if (cards.length === 1) {
			const card = cards[0];
			const label = words(card.dataset.status)[0];
			return card.dataset.status === 'failed' && card.dataset.error ? label + ': ' + card.dataset.error : label + '.';
		}
		const counts = {};
		for (const card of cards) counts[card.dataset.status] = (counts[card.dataset.status] || 0) + 1;
		const parts = ['completed', 'processing', 'pending', 'failed', 'cancelled']
			.filter((status) => counts[status])
			.map((status) => counts[status] + ' ' + words(status)[0].toLowerCase());
		return cards.length + ' images: ' + parts.join(', ') + '.';
	};
	const render = (card, view) => {
		const [label, tone] = words(view.status);
		const badge = card.querySelector('[data-field="status"]');
		if (badge && card.dataset.status !== view.status) {
			badge.textContent = label;
			badge.className = 'badge ' + tone;
		}
		card.dataset.status = view.status;
		if (view.error) card.dataset.error = view.error;
		const line = card.querySelector('[data-field="note"]');
		if (line) line.textContent = note(view);
		const images = card.querySelector('[data-field="images"]');
		if (images && images.children.length !== view.images.length) {
			images.replaceChildren(...view.images.map((image) => thumbnail(card, view, image)));
		}
		if (view.done) {
			card.dataset.done = 'true';
			for (const form of card.querySelectorAll('[data-cancel]')) form.remove();
			if (announce) announce.textContent = '"' + card.dataset.prompt.slice(0, 60) + '": ' + label.toLowerCase() + '.';
		}
	};
	const readJson = async (url) => {
		const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
		const type = response.headers.get('content-type') || '';
		if (!response.ok || response.redirected || !type.includes('application/json')) throw new Error('HTTP ' + response.status);
		return response.json();
	};
	const finish = () => {
		for (const form of document.querySelectorAll('[data-cancel-all]')) form.remove();
	};
	let failures = 0;
	const tick = async () => {
		const open = cards.filter((card) => card.dataset.done === 'false');
		if (open.length === 0) return finish();
		try {
			if (cards.length === 1) render(open[0], await readJson(statusUrl(open[0].dataset.jobId)));
			else {
				const active = await readJson('/ui/jobs/active.json');
				const byId = new Map(active.jobs.map((job) => [job.job_id, job]));
				for (const card of open) render(card, byId.get(card.dataset.jobId) || (await readJson(statusUrl(card.dataset.jobId))));
			}
			if (summary) summary.textContent = summaryText();
			failures = 0;
		} catch {
			failures += 1;
			if (failures >= 5) {
				const message = 'Live updates stopped (the server did not answer). Reload the page to see the latest.';
				if (summary) summary.textContent = message;
				else if (announce) announce.textContent = message;
				return;
			}
		}
		if (cards.every((card) => card.dataset.done === 'true')) return finish();
		setTimeout(tick, document.hidden ? 5000 : 1000 * 2 ** failures);
	};
	for (const hint of document.querySelectorAll('[data-refresh-note]')) hint.hidden = true;
	setTimeout(tick, 1000);
}
`;
