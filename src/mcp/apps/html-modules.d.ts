/** `.html` files import as their text: wrangler's default module rules make them Text modules. */
declare module '*.html' {
	const text: string;
	export default text;
}
