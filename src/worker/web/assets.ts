/**
 * The web app's one stylesheet and one script, served by the Worker at /ui/assets/ (same
 * origin, so the CSP allows them by 'self' and no inline script or style is needed). Each page
 * module adds its own part; the script's parts each look for their page's elements and do
 * nothing elsewhere, so every page reads and works without script.
 */
import { PAGE_STYLE } from '../pages/landing';
import { GALLERY_CSS } from './gallery.assets';
import { GENERATE_CSS, GENERATE_SCRIPT } from './generate.assets';
import { JOBS_CSS, JOBS_SCRIPT } from './jobs.assets';

const BASE_CSS = `
main { max-width: 1100px; }
header.top { border-bottom: 1px solid var(--line); background: var(--card); }
header.top nav { max-width: 1100px; margin: 0 auto; padding: 10px 20px; display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; }
header.top .brand { font-weight: 700; color: var(--fg); text-decoration: none; margin-right: 8px; }
header.top a.tab { color: var(--fg); text-decoration: none; padding: 4px 2px; border-bottom: 2px solid transparent; }
header.top a.tab[aria-current="page"] { border-bottom-color: var(--accent); font-weight: 600; }
header.top .who { margin-left: auto; display: flex; gap: 10px; align-items: center; color: var(--muted); font-size: 14px; }
header.top form { margin: 0; }
.skip { position: absolute; left: -999px; top: 0; }
.skip:focus { left: 8px; top: 8px; background: var(--card); padding: 6px 10px; z-index: 10; }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
input, select, textarea { font: inherit; color: var(--fg); background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 7px 10px; max-width: 100%; }
input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
textarea { width: 100%; min-height: 96px; }
.hint { color: var(--muted); font-size: 14px; margin: 2px 0; }
.field-error { color: var(--bad); font-size: 14px; margin: 4px 0; font-weight: 600; }
[aria-invalid="true"] { border-color: var(--bad); }
.notice { border-left: 4px solid var(--ok); background: var(--card); padding: 8px 12px; margin: 12px 0; border-radius: 4px; }
.alert { border-left: 4px solid var(--bad); background: var(--card); padding: 8px 12px; margin: 12px 0; border-radius: 4px; }
button.primary { background: var(--accent); color: var(--bg); border-color: var(--accent); font-weight: 600; }
button.danger { color: var(--bad); border-color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 15px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.row { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-end; }
.row > div { min-width: 160px; }
`;

/** Copy buttons: shown only when the script runs (without it, the text stays there to select). */
const BASE_SCRIPT = `
for (const button of document.querySelectorAll('button.copy')) {
	button.hidden = false;
	button.addEventListener('click', async () => {
		const source = document.getElementById(button.dataset.target);
		const text = source.value ?? source.textContent;
		try { await navigator.clipboard.writeText(text); button.textContent = 'Copied'; }
		catch { button.textContent = 'Select and copy'; }
		setTimeout(() => { button.textContent = button.dataset.label || 'Copy'; }, 2000);
	});
}
`;

/** Each page module's CSS and script, added here in a fixed order. */
const PARTS: { css: string; script: string }[] = [
	{ css: `${PAGE_STYLE}${BASE_CSS}`, script: BASE_SCRIPT },
	{ css: GENERATE_CSS, script: GENERATE_SCRIPT },
	{ css: JOBS_CSS, script: JOBS_SCRIPT },
	{ css: GALLERY_CSS, script: '' },
];

export const APP_CSS = PARTS.map((part) => part.css).join('\n');
export const APP_SCRIPT = `'use strict';\n${PARTS.map((part) => `{\n${part.script}\n}`).join('\n')}`;

/** A short content hash, so the pages link /ui/assets/app.css?v=… and the assets can be cached for a year. */
function fnv1a(text: string): string {
	let hash = 0x811c9dc5;
	for (let index = 0; index < text.length; index++) {
		hash ^= text.charCodeAt(index);
		hash = Math.imul(hash, 0x01000193) >>> 0;
	}
	return hash.toString(36);
}

/** The app's icon: a framed picture with a sun and a hill, in the accent blue. */
export const APP_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="4" width="28" height="24" rx="4" fill="#2450b3"/><circle cx="11" cy="12" r="3.5" fill="#fff"/><path d="M4 25l8-9 5 5 4-4 7 8z" fill="#fff"/></svg>`;

export const ASSET_VERSION = fnv1a(APP_CSS + APP_SCRIPT + APP_ICON);
