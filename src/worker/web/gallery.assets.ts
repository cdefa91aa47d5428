/**
 * The gallery pages' CSS (src/worker/web/gallery.tsx): the thumbnail grid, the pager, one
 * image beside its facts, the copy lines and the action links that look like buttons. No
 * script: the copy buttons are the base script's.
 */
export const GALLERY_CSS = `
ul.gallery { list-style: none; padding: 0; margin: 12px 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 16px; }
ul.gallery li { min-width: 0; }
ul.gallery a { display: flex; align-items: center; justify-content: center; aspect-ratio: 1; background: var(--code); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
ul.gallery img { max-width: 100%; max-height: 100%; width: auto; height: auto; }
ul.gallery .caption { margin: 6px 0 0; font-size: 14px; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
ul.gallery .muted { margin: 0; font-size: 13px; }
.row.compact > div { min-width: 0; }
nav.pager { display: flex; gap: 20px; margin: 16px 0; }
.image-page { display: grid; grid-template-columns: minmax(0, 3fr) minmax(260px, 2fr); gap: 24px; align-items: start; }
@media (max-width: 800px) { .image-page { grid-template-columns: 1fr; } }
figure.picture { margin: 0; }
figure.picture img { max-width: 100%; height: auto; border-radius: 10px; border: 1px solid var(--line); background: var(--code); }
ul.plain { list-style: none; padding: 0; margin: 0; }
.copy-line { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin: 8px 0; }
.copy-line label { margin: 0; min-width: 110px; }
.copy-line input { flex: 1; min-width: 220px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px; }
a.button { display: inline-block; font-size: 14px; color: var(--fg); background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; text-decoration: none; }
a.button:hover { border-color: var(--accent); }
a.button.primary { background: var(--accent); color: var(--bg); border-color: var(--accent); font-weight: 600; }
a.button.danger { color: var(--bad); border-color: var(--bad); }
`;
