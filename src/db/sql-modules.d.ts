/** `.sql` files import as their text: wrangler's default module rules make them Text modules. */
declare module '*.sql' {
	const text: string;
	export default text;
}
