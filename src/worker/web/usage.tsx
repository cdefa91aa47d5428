/**
 * Usage (issue 18): my images and estimated cost per day and model, my budgets and the rate
 * limit left, from get_usage; admins also see the cost-per-user table (get_usage with
 * all_users) with totals, each user linking to their gallery (read-only).
 */
import type { Context, Hono } from 'hono';
import { formatUsd } from '../../tools/limits';
import { getUsageTool } from '../../tools/usage.tools';
import { Layout, type Viewer } from './layout';
import { htmlPage, runWebOperation, viewerOf, type WebEnv } from './page';

/** The periods offered; get_usage takes 1–90 days. */
export const USAGE_DAYS = [1, 7, 30, 90] as const;

interface Counts {
	images: number;
	jobs: number;
	estimated_cost_usd: number;
}
interface Budget {
	limit_usd: number | null;
	spent_usd: number;
	remaining_usd: number | null;
	resets_at: string;
}
interface Usage {
	days: number;
	from: string;
	to: string;
	totals: Counts;
	by_day: (Counts & { date: string; model: string })[];
	users?: (Counts & { owner: string; spent_today_usd: number; spent_this_month_usd: number })[];
	budget: { daily: Budget; monthly: Budget };
	rate_limit: {
		limit: number;
		period_seconds: number;
		applies: boolean;
		recent_calls: number;
		remaining: number | null;
	};
}

const usd = (value: number | null) => (value === null ? 'none' : formatUsd(value));

const CountCells = ({ counts }: { counts: Counts }) => (
	<>
		<td class="num">{counts.images}</td>
		<td class="num">{counts.jobs}</td>
		<td class="num">{usd(counts.estimated_cost_usd)}</td>
	</>
);

const BudgetRow = ({ label, budget }: { label: string; budget: Budget }) => (
	<tr>
		<th scope="row">{label}</th>
		<td class="num">{usd(budget.limit_usd)}</td>
		<td class="num">{usd(budget.spent_usd)}</td>
		<td class="num">{usd(budget.remaining_usd)}</td>
		<td>{budget.resets_at.replace('T', ' ').replace(/:00\.000Z$/, ' UTC')}</td>
	</tr>
);

const UsagePage = ({ viewer, mine, everyone }: { viewer: Viewer; mine: Usage; everyone?: Usage }) => (
	<Layout title="Usage" active="usage" viewer={viewer}>
		<h1>Usage</h1>
		<form method="get" action="/ui/usage" class="row">
			<div>
				<label for="days">Period</label>
				<select id="days" name="days">
					{USAGE_DAYS.map((days) => (
						<option value={String(days)} selected={days === mine.days}>
							{days === 1 ? 'Today' : `Last ${days} days`}
						</option>
					))}
				</select>
			</div>
			<div>
				<button type="submit">Show</button>
			</div>
		</form>
		<p class="muted">
			{mine.from} to {mine.to} (UTC). Costs are estimates from each model's price.
		</p>

		<h2 id="budget">Budgets and limits</h2>
		<table aria-labelledby="budget">
			<thead>
				<tr>
					<th scope="col">Budget</th>
					<th scope="col" class="num">
						Limit
					</th>
					<th scope="col" class="num">
						Spent
					</th>
					<th scope="col" class="num">
						Left
					</th>
					<th scope="col">Resets</th>
				</tr>
			</thead>
			<tbody>
				<BudgetRow label="Today" budget={mine.budget.daily} />
				<BudgetRow label="This month" budget={mine.budget.monthly} />
			</tbody>
		</table>
		<p id="rate-limit">
			{mine.rate_limit.applies
				? `Rate limit: ${mine.rate_limit.limit} generations per ${mine.rate_limit.period_seconds} s; about ${mine.rate_limit.remaining} left now (${mine.rate_limit.recent_calls} in the last ${mine.rate_limit.period_seconds} s).`
				: 'No rate limit applies to you (admin).'}
		</p>

		<h2 id="mine">My images per day and model</h2>
		{mine.by_day.length === 0 ? (
			<p>
				No generations in this period. <a href="/ui/generate">Make one</a>.
			</p>
		) : (
			<table aria-labelledby="mine">
				<thead>
					<tr>
						<th scope="col">Day</th>
						<th scope="col">Model</th>
						<th scope="col" class="num">
							Images
						</th>
						<th scope="col" class="num">
							Jobs
						</th>
						<th scope="col" class="num">
							Est. cost
						</th>
					</tr>
				</thead>
				<tbody>
					{mine.by_day.map((row) => (
						<tr>
							<td>{row.date}</td>
							<td>{row.model}</td>
							<CountCells counts={row} />
						</tr>
					))}
				</tbody>
				<tfoot>
					<tr>
						<th scope="row" colspan={2}>
							Total
						</th>
						<CountCells counts={mine.totals} />
					</tr>
				</tfoot>
			</table>
		)}

		{everyone?.users ? (
			<>
				<h2 id="users">Cost per user (admin)</h2>
				<table aria-labelledby="users">
					<thead>
						<tr>
							<th scope="col">User</th>
							<th scope="col" class="num">
								Images
							</th>
							<th scope="col" class="num">
								Jobs
							</th>
							<th scope="col" class="num">
								Est. cost
							</th>
							<th scope="col" class="num">
								Today
							</th>
							<th scope="col" class="num">
								This month
							</th>
						</tr>
					</thead>
					<tbody>
						{everyone.users.map((user) => (
							<tr>
								<td>
									<a href={`/ui/users/${encodeURIComponent(user.owner)}/gallery`}>{user.owner}</a>
								</td>
								<CountCells counts={user} />
								<td class="num">{usd(user.spent_today_usd)}</td>
								<td class="num">{usd(user.spent_this_month_usd)}</td>
							</tr>
						))}
					</tbody>
					<tfoot>
						<tr>
							<th scope="row">All users</th>
							<CountCells counts={everyone.totals} />
							<td class="num">{usd(sum(everyone.users, 'spent_today_usd'))}</td>
							<td class="num">{usd(sum(everyone.users, 'spent_this_month_usd'))}</td>
						</tr>
					</tfoot>
				</table>
			</>
		) : null}
	</Layout>
);

function sum<T extends Record<K, number>, K extends string>(rows: T[], key: K): number {
	return Math.round(rows.reduce((total, row) => total + row[key], 0) * 1e6) / 1e6;
}

async function usagePage(c: Context<WebEnv>): Promise<Response> {
	const asked = Number(c.req.query('days') ?? 30);
	const days = (USAGE_DAYS as readonly number[]).includes(asked) ? asked : 30;
	const admin = c.get('principal').role === 'admin';
	const [mine, everyone] = await Promise.all([
		runWebOperation(c, getUsageTool, { days }),
		admin ? runWebOperation(c, getUsageTool, { days, all_users: true }) : undefined,
	]);
	if (!mine.ok) throw new Error(`get_usage failed: ${mine.error.message}`);
	return htmlPage(
		c,
		<UsagePage
			viewer={viewerOf(c)}
			mine={mine.value.structured as unknown as Usage}
			{...(everyone?.ok ? { everyone: everyone.value.structured as unknown as Usage } : {})}
		/>,
	);
}

export function registerUsagePages(web: Hono<WebEnv>) {
	web.get('/usage', usagePage);
}
