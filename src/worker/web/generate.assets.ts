/**
 * The Generate page's part of the app's stylesheet and script (src/worker/web/assets.ts). The
 * script keeps the form in step with the chosen model: the model's facts, its size
 * suggestions, the fields it takes (others are hidden and not sent) and the estimated cost as
 * the model and count change. Without it the form shows every field and the server refuses
 * what the model does not take. Its words match src/worker/web/generate.tsx `estimateText`.
 */

export const GENERATE_CSS = `
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
textarea.short { min-height: 60px; }
form.generate .row { align-items: flex-start; }
form.generate .row > div { flex: 1 1 200px; }
[data-requires][hidden] { display: none; }
.model-facts { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 14px 0 4px; }
.model-facts h2 { font-size: 16px; margin: 0 0 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 4px 0; }
dl.facts dt { color: var(--muted); font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: 6px; } }
fieldset.references { border: 1px solid var(--line); border-radius: 8px; margin: 16px 0; padding: 8px 12px; min-width: 0; }
fieldset.references legend { font-weight: 600; padding: 0 4px; }
ul.picks { list-style: none; display: flex; flex-wrap: wrap; gap: 10px; padding: 0; margin: 8px 0; }
ul.picks li { position: relative; }
ul.picks input { position: absolute; top: 6px; left: 6px; width: 18px; height: 18px; margin: 0; }
ul.picks label { margin: 0; display: block; border: 2px solid var(--line); border-radius: 8px; overflow: hidden; cursor: pointer; line-height: 0; }
ul.picks img { display: block; width: 96px; height: 96px; object-fit: cover; background: var(--code); }
ul.picks input:checked + label { border-color: var(--accent); box-shadow: 0 0 0 2px var(--accent); }
ul.picks input:focus-visible + label { outline: 2px solid var(--accent); outline-offset: 2px; }
.estimate { font-weight: 600; margin: 16px 0 6px; }
.quote { border-color: var(--accent); border-width: 2px; }
.quote h2 { margin-top: 0; }
.quote form { margin: 8px 0; }
details.model-list { margin: 20px 0; }
details.model-list summary { cursor: pointer; font-weight: 600; }
.model-entry h3 { margin: 14px 0 2px; font-size: 16px; }
`;

// String.raw: the script's regular expressions keep their backslashes.
export const GENERATE_SCRIPT = String.raw`
const form = document.getElementById('generate-form');
const model = form && form.querySelector('#model');
if (model) {
	const count = form.querySelector('#count');
	const estimate = document.getElementById('estimate');
	const facts = document.getElementById('model-facts');
	const sizeText = form.querySelector('[data-size-hint]');
	const sizeList = document.getElementById('size-options');
	const max = Number(count.max);
	const usd = (value) => {
		const fixed = (Math.round(value * 1e6) / 1e6).toFixed(6).replace(/0+$/, '');
		const [whole, fraction = ''] = fixed.split('.');
		return '$' + whole + '.' + fraction.padEnd(2, '0');
	};
	const estimateText = (data) => {
		const text = count.value.trim() === '' ? '1' : count.value.trim();
		const n = /^\d+$/.test(text) ? Number(text) : NaN;
		if (!Number.isInteger(n) || n < 1 || n > max) return 'Estimated cost: give a count from 1 to ' + max + ' to see it.';
		if (data.cost === '') return 'Estimated cost: depends on the model auto picks; the job page shows it.';
		const each = Number(data.cost);
		if (each === 0) return 'Estimated cost: free.';
		return 'Estimated cost: ' + usd(each * n) + ' (' + n + ' × ' + usd(each) + "), an estimate at the model's default size and quality.";
	};
	const offer = (name, on) => {
		for (const part of form.querySelectorAll('[data-requires="' + name + '"]')) {
			part.hidden = !on;
			for (const input of part.querySelectorAll('input, select, textarea')) input.disabled = !on;
		}
	};
	const update = (changed) => {
		const option = model.selectedOptions[0];
		if (!option) return;
		const data = option.dataset;
		offer('negative', data.negative === 'true');
		offer('seed', data.seed === 'true');
		offer('tiers', data.tiers === 'true');
		offer('references', Number(data.refs) > 0);
		sizeText.textContent = data.sizeText;
		sizeList.replaceChildren(...data.sizes.split(',').filter(Boolean).map((value) => {
			const item = document.createElement('option');
			item.value = value;
			return item;
		}));
		estimate.textContent = estimateText(data);
		const source = changed && document.getElementById(data.facts);
		if (source) {
			const title = facts.querySelector('h2');
			title.textContent = 'About ' + source.querySelector('h3').textContent;
			const copies = [...source.children].filter((child) => child.tagName !== 'H3').map((child) => child.cloneNode(true));
			facts.replaceChildren(title, ...copies);
		}
	};
	model.addEventListener('change', () => update(true));
	count.addEventListener('input', () => {
		const option = model.selectedOptions[0];
		if (option) estimate.textContent = estimateText(option.dataset);
	});
	update(false);
}
`;
