/** A page that only says something: a refusal, a missing page, an error. */
import type { Context } from 'hono';
import { Layout } from './layout';
import { htmlPage, type WebEnv } from './page';

export function messagePage(c: Context<WebEnv>, status: number, title: string, message: string): Promise<Response> {
	return htmlPage(
		c,
		<Layout title={title}>
			<h1>{title}</h1>
			<p class={status >= 400 ? 'alert' : 'notice'} role={status >= 400 ? 'alert' : 'status'}>
				{message}
			</p>
			<p>
				<a href="/ui/gallery">Go to the gallery</a>
			</p>
		</Layout>,
		status,
	);
}
