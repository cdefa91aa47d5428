/**
 * The web app's page shell (Hono JSX, every value escaped): a skip link, the navigation, who is
 * signed in with a sign-out button, and the page. The one stylesheet and script come from
 * /ui/assets/ (src/worker/web/assets.ts); the CSP allows nothing else.
 */
import type { Child, FC } from 'hono/jsx';
import { SERVER_INFO } from '../../server-identity';
import { ASSET_VERSION } from './assets';

/** The pages of the navigation, in order; `write` ones are hidden in read-only mode. */
export const NAV = [
	{ id: 'gallery', href: '/ui/gallery', label: 'Gallery', write: false },
	{ id: 'generate', href: '/ui/generate', label: 'Generate', write: true },
	{ id: 'jobs', href: '/ui/jobs', label: 'Jobs', write: false },
	{ id: 'usage', href: '/ui/usage', label: 'Usage', write: false },
	{ id: 'settings', href: '/ui/settings', label: 'Settings', write: false },
] as const;

export type NavId = (typeof NAV)[number]['id'];

/** Who the page is for: what the shell shows and what forms need. */
export interface Viewer {
	name: string;
	role: 'admin' | 'user';
	/** The session's CSRF token, carried by every form that changes state. */
	csrf: string;
	/** Signed in (a token or OAuth), so there is something to sign out of; false in token-less local dev. */
	canSignOut: boolean;
	readOnly: boolean;
}

export const Layout: FC<{ title: string; active?: NavId; viewer?: Viewer; children?: Child }> = ({
	title,
	active,
	viewer,
	children,
}) => (
	<html lang="en">
		<head>
			<meta charset="utf-8" />
			<meta name="viewport" content="width=device-width, initial-scale=1" />
			<meta name="color-scheme" content="light dark" />
			<title>{`${title} · ${SERVER_INFO.title}`}</title>
			<link rel="icon" href={`/ui/assets/icon.svg?v=${ASSET_VERSION}`} type="image/svg+xml" />
			<link rel="stylesheet" href={`/ui/assets/app.css?v=${ASSET_VERSION}`} />
			<script src={`/ui/assets/app.js?v=${ASSET_VERSION}`} defer></script>
		</head>
		<body>
			<a class="skip" href="#content">
				Skip to content
			</a>
			<header class="top">
				<nav aria-label="Main">
					<a class="brand" href="/">
						{SERVER_INFO.title}
					</a>
					{viewer
						? NAV.filter((item) => !(item.write && viewer.readOnly)).map((item) => (
								<a class="tab" href={item.href} aria-current={item.id === active ? 'page' : undefined}>
									{item.label}
								</a>
							))
						: null}
					{viewer ? (
						<span class="who">
							<span>
								{viewer.name}
								{viewer.role === 'admin' ? ' (admin)' : ''}
							</span>
							{viewer.canSignOut ? (
								<form method="post" action="/ui/signout">
									<CsrfField token={viewer.csrf} />
									<button type="submit">Sign out</button>
								</form>
							) : null}
						</span>
					) : null}
				</nav>
			</header>
			<main id="content" tabindex={-1}>
				{children}
			</main>
		</body>
	</html>
);

/** The hidden CSRF field of a state-changing form. */
export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="csrf" value={token} />;

/** A form field's error, tied to its input by `aria-describedby={id}`. */
export const FieldError: FC<{ id: string; message?: string | undefined }> = ({ id, message }) =>
	message ? (
		<p class="field-error" id={id}>
			{message}
		</p>
	) : null;
