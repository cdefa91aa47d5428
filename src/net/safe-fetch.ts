/**
 * The SSRF-safe fetch for reference images given by URL (`reference_images: ["https://…"]`).
 * The URL comes from a caller, so before every request, first hop and each redirect alike, it
 * must be https, carry no credentials, and name a public internet host: no private, loopback,
 * link-local, CGNAT, benchmark, documentation, multicast or reserved address, in IPv4 or IPv6
 * form (`ip-ranges.ts` decides, judging IPv4-mapped, NAT64 and 6to4 addresses by the IPv4 address
 * inside), and no local name (`localhost`, `*.local`, `*.internal`, single labels…). Names are
 * resolved over DNS-over-HTTPS and refused when any answer is such an address.
 *
 * Defence in depth: a Worker on Cloudflare cannot reach private networks or the machine it runs
 * on, so these checks guard against the day this code runs elsewhere (workerd on a server, a
 * proxy in front of an intranet) and give callers a clear error instead of a confusing one.
 * Time-of-check/time-of-use limit: `fetch` resolves the name again on its own, and Workers
 * offer no way to connect to the address we checked, so a name whose DNS answers change
 * between our lookup and the runtime's (DNS rebinding) is not stopped by the DNS check; the
 * literal-address and hostname rules have no such gap.
 *
 * Content: at most `REFERENCE_MAX_BYTES`, refused from Content-Length when declared and counted
 * while streaming either way; a declared type must be PNG, JPEG, WebP or GIF, or absent /
 * `application/octet-stream` (what object stores send for files uploaded without a type). In
 * every case the bytes must sniff as one of the four formats, and the sniffed type is what we
 * return, whatever the server claimed.
 */

import { concatBytes } from '../bytes';
import { isAbortError, ProviderError } from '../providers/errors';
import type { ReferenceImage } from '../providers/types';
import { err, ok, type Result } from '../result';
import { sniffImage } from '../storage/sniff';
import { clip } from '../text';
import { forbiddenAddressReason } from './ip-ranges';

/**
 * Largest reference image we download. Bytes are held in memory (a Worker has 128 MB), so this
 * bounds what one URL can cost; ordinary photos and earlier generations are far smaller.
 */
export const REFERENCE_MAX_BYTES = 10 * 1024 * 1024;

/** Redirects followed by default; each hop is checked like the first URL. */
const MAX_REDIRECTS = 3;

/**
 * Longest URL we look at. The tool schema caps what callers type at 2048 characters; redirects
 * to signed CDN URLs may be longer, so the policy itself allows more.
 */
const MAX_URL_LENGTH = 8192;

/** DNS limit on a whole name (RFC 1035 §2.3.4). */
const MAX_HOSTNAME_LENGTH = 253;

/**
 * DNS-over-HTTPS JSON endpoint: GET `?name=&type=` with `accept: application/dns-json`, answer
 * `{Status, Answer: [{name, type, TTL, data}]}` where Status is the DNS RCODE.
 * https://developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/make-api-requests/dns-json/
 */
const DOH_ENDPOINT = 'https://cloudflare-dns.com/dns-query';
const DNS_TYPE_A = 1;
const DNS_TYPE_AAAA = 28;
const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;

/** Content types a server may declare for a reference image; the bytes decide the real one. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);
/** "No type given": accepted only because the bytes must sniff as an image anyway. */
const UNTYPED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/** What the image GET sends: the four formats we take (so content negotiation does not pick AVIF) and a name. */
const IMAGE_REQUEST_HEADERS = {
	accept: 'image/png, image/jpeg, image/webp, image/gif',
	// Some hosts (Wikimedia among them) refuse requests without a User-Agent.
	'user-agent': 'image-mcp-workers (reference image fetch)',
};

/**
 * Hostname suffixes that name local networks: RFC 6761 (`localhost`), RFC 6762 (`local`, and
 * Appendix G's `intranet`, `internal`, `private`, `corp`, `home`, `lan`), RFC 8375 (`home.arpa`),
 * and `localdomain` from common resolver setups. The name itself and any name under it are refused.
 */
const LOCAL_SUFFIXES = [
	'localhost',
	'localdomain',
	'local',
	'internal',
	'intranet',
	'private',
	'corp',
	'home',
	'lan',
	'home.arpa',
];

const ALLOWED_SUMMARY = 'only public https URLs of internet hosts are accepted';

export interface SafeFetchOptions {
	/** Aborts the whole fetch (DNS, every hop and the body); aborting is a transient failure. */
	signal: AbortSignal;
	/** Byte cap; defaults to `REFERENCE_MAX_BYTES`. */
	maxBytes?: number;
	/** Redirects to follow; defaults to 3. */
	maxRedirects?: number;
	/**
	 * Resolves a hostname to its IPv4 and IPv6 addresses. Defaults to Cloudflare DNS-over-HTTPS;
	 * tests and operators (another resolver, an allow-list) may replace it. Throw a ProviderError
	 * to choose the failure kind; anything else thrown is a transient DNS failure.
	 */
	resolveHost?: (hostname: string, signal: AbortSignal) => Promise<string[]>;
}

/**
 * The synchronous part of the policy: form, scheme, credentials, literal addresses and local
 * hostnames. Used when a job is created, so a bad URL is refused at once. Gives the parsed URL,
 * or a message saying what is wrong and what is allowed (the caller prefixes the field name).
 */
export function checkReferenceUrl(raw: string): Result<URL> {
	if (raw.length > MAX_URL_LENGTH) {
		return err(`the URL is longer than ${MAX_URL_LENGTH} characters.`);
	}
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return err(`"${clip(raw)}" is not a valid URL; give a public https URL of the image.`);
	}
	if (url.protocol !== 'https:') {
		return err(`only https URLs are accepted (this one is ${clip(url.protocol.slice(0, -1), 20)}).`);
	}
	if (url.username !== '' || url.password !== '') {
		return err('URLs with a user name or password are not accepted; give a public URL that needs no login.');
	}
	const problem = hostnameProblem(url.hostname);
	if (problem) return err(`${problem}; ${ALLOWED_SUMMARY}.`);
	return ok(url);
}

/**
 * Fetches a reference image under the policy above and returns its bytes with the sniffed type
 * and size. Throws ProviderError: `invalid_request` when the URL, an answer or the content breaks
 * a rule (final: another attempt would get the same), `transient` for DNS failures, timeouts,
 * network errors, HTTP 408, 429 and 5xx (a later attempt may succeed).
 */
export async function fetchReferenceImage(url: string, options: SafeFetchOptions): Promise<ReferenceImage> {
	const { signal } = options;
	const maxBytes = options.maxBytes ?? REFERENCE_MAX_BYTES;
	const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS;
	const resolveHost = options.resolveHost ?? resolveOverDoh;

	const first = checkReferenceUrl(url);
	if (!first.ok) throw new ProviderError('invalid_request', `Reference image URL refused: ${first.error}`);
	let current = first.value;
	// A redirect within the same host (often: to a canonical path) needs no second lookup.
	const resolved = new Set<string>();
	for (let redirects = 0; ; redirects++) {
		const host = clip(current.host);
		if (!resolved.has(current.hostname)) {
			await checkResolvedAddresses(current, host, resolveHost, signal);
			resolved.add(current.hostname);
		}
		const response = await send(current, host, signal);
		if (!isRedirect(response.status)) return readImage(response, host, maxBytes, signal);

		await discard(response);
		if (redirects >= maxRedirects) {
			throw refused(host, `more than ${maxRedirects} redirects; give the final URL of the image`);
		}
		const location = response.headers.get('location');
		if (!location) throw refused(host, `answered HTTP ${response.status} without a Location to follow`);
		let target: string;
		try {
			target = new URL(location, current).href;
		} catch {
			throw refused(host, `answered HTTP ${response.status} with an unreadable Location`);
		}
		const next = checkReferenceUrl(target);
		if (!next.ok) throw refused(host, `redirected to a URL that is not allowed: ${next.error}`);
		current = next.value;
	}
}

// --- Hostnames and addresses -------------------------------------------------------------------

/** Why `hostname` (as the WHATWG URL parser left it) is refused, or undefined when it is fine. */
function hostnameProblem(hostname: string): string | undefined {
	if (hostname.startsWith('[')) {
		const reason = forbiddenAddressReason(hostname);
		return reason && `${clip(hostname)} is ${reason}`;
	}
	// The URL parser has already turned every IPv4 spelling (2130706433, 0x7f.1, 127.1) into a dotted quad.
	if (IPV4_SHAPE.test(hostname)) {
		const reason = forbiddenAddressReason(hostname);
		return reason && `${hostname} is ${reason}`;
	}
	// A trailing dot marks a fully qualified name: `localhost.` is `localhost`.
	const name = hostname.replace(/\.+$/, '');
	if (name.length > MAX_HOSTNAME_LENGTH) return `the hostname is longer than ${MAX_HOSTNAME_LENGTH} characters`;
	const suffix = LOCAL_SUFFIXES.find((local) => name === local || name.endsWith(`.${local}`));
	if (suffix) return `${clip(hostname)} is a local network name (.${suffix})`;
	if (!name.includes('.')) return `"${clip(hostname)}" is a single-label hostname; give a fully qualified name`;
	return undefined;
}

const IPV4_SHAPE = /^\d+\.\d+\.\d+\.\d+$/;

// --- DNS -------------------------------------------------------------------------------------

/**
 * Refuses a name when any of its addresses is forbidden (one private answer among public ones
 * is enough: the runtime may pick any). IP literals were checked with the URL and need no lookup.
 */
async function checkResolvedAddresses(
	url: URL,
	host: string,
	resolveHost: NonNullable<SafeFetchOptions['resolveHost']>,
	signal: AbortSignal,
): Promise<void> {
	const hostname = url.hostname;
	if (hostname.startsWith('[') || IPV4_SHAPE.test(hostname)) return;
	let addresses: string[];
	try {
		addresses = await resolveHost(hostname, signal);
	} catch (error) {
		if (error instanceof ProviderError) throw error;
		if (signal.aborted || isAbortError(error)) throw timedOut(host);
		throw new ProviderError('transient', `Reference image at ${host}: the DNS lookup failed; it will be retried.`);
	}
	if (addresses.length === 0) throw refused(host, 'the name has no IPv4 or IPv6 address');
	for (const address of addresses) {
		const reason = forbiddenAddressReason(address);
		if (reason) throw refused(host, `the name resolves to ${clip(address, 45)}, ${reason}; ${ALLOWED_SUMMARY}`);
	}
}

/** The default resolver: A and AAAA over Cloudflare's DNS-over-HTTPS JSON API, in parallel. */
async function resolveOverDoh(hostname: string, signal: AbortSignal): Promise<string[]> {
	const [v4, v6] = await Promise.all([
		queryDoh(hostname, 'A', DNS_TYPE_A, signal),
		queryDoh(hostname, 'AAAA', DNS_TYPE_AAAA, signal),
	]);
	return [...v4, ...v6];
}

async function queryDoh(hostname: string, type: string, typeCode: number, signal: AbortSignal): Promise<string[]> {
	const host = clip(hostname);
	const failed = (why: string) =>
		new ProviderError('transient', `Reference image at ${host}: the DNS lookup failed (${why}); it will be retried.`);
	let response: Response;
	try {
		response = await fetch(`${DOH_ENDPOINT}?name=${encodeURIComponent(hostname)}&type=${type}`, {
			headers: { accept: 'application/dns-json' },
			signal,
		});
	} catch (error) {
		if (signal.aborted || isAbortError(error)) throw timedOut(host);
		throw failed('network error');
	}
	if (!response.ok) {
		await discard(response);
		throw failed(`HTTP ${response.status}`);
	}
	let answer: unknown;
	try {
		answer = await response.json();
	} catch (error) {
		if (signal.aborted || isAbortError(error)) throw timedOut(host);
		throw failed('malformed answer');
	}
	if (!answer || typeof answer !== 'object') throw failed('malformed answer');
	const { Status: status, Answer: records } = answer as { Status?: unknown; Answer?: unknown };
	if (status === RCODE_NXDOMAIN) throw refused(host, 'no such host (DNS NXDOMAIN); check the URL');
	if (status !== RCODE_NOERROR) throw failed(`DNS status ${typeof status === 'number' ? status : 'missing'}`);
	if (records === undefined) return [];
	if (!Array.isArray(records)) throw failed('malformed answer');
	// Answers also carry the CNAME chain (type 5); only the address records of the asked type count.
	return records.flatMap((record: unknown) => {
		if (!record || typeof record !== 'object') return [];
		const { type: recordType, data } = record as { type?: unknown; data?: unknown };
		return recordType === typeCode && typeof data === 'string' ? [data] : [];
	});
}

// --- HTTP ------------------------------------------------------------------------------------

async function send(url: URL, host: string, signal: AbortSignal): Promise<Response> {
	try {
		// 'manual': a 3xx comes back to us, so the next hop is checked before anything is sent to it.
		return await fetch(url.href, { method: 'GET', headers: IMAGE_REQUEST_HEADERS, redirect: 'manual', signal });
	} catch (error) {
		if (signal.aborted || isAbortError(error)) throw timedOut(host);
		throw new ProviderError('transient', `Reference image at ${host}: could not connect (network error).`);
	}
}

function isRedirect(status: number): boolean {
	return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Checks status, declared type and size, then reads the body under the cap and sniffs it. */
async function readImage(
	response: Response,
	host: string,
	maxBytes: number,
	signal: AbortSignal,
): Promise<ReferenceImage> {
	const { status } = response;
	if (!response.ok) {
		await discard(response);
		throw statusError(status, host);
	}
	const declared = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
	if (!IMAGE_TYPES.has(declared) && !UNTYPED.has(declared)) {
		await discard(response);
		throw refused(host, `the content type is "${clip(declared, 60)}", not an image; expected ${FORMATS_TEXT}`);
	}
	const length = response.headers.get('content-length')?.trim();
	if (length && /^\d+$/.test(length) && Number(length) > maxBytes) {
		await discard(response);
		throw tooLarge(host, maxBytes);
	}
	const bytes = await readCapped(response, host, maxBytes, signal);
	const sniffed = sniffImage(bytes);
	if (!sniffed) {
		const claimed = declared ? ` (the server said ${clip(declared, 60)})` : '';
		throw refused(host, `the content is not a ${FORMATS_TEXT} image${claimed}`);
	}
	return { bytes, contentType: sniffed.contentType, width: sniffed.width, height: sniffed.height };
}

const FORMATS_TEXT = 'PNG, JPEG, WebP or GIF';

function statusError(status: number, host: string): ProviderError {
	if (status === 408 || status === 429 || status >= 500) {
		return new ProviderError(
			'transient',
			`Reference image at ${host}: the server failed temporarily (HTTP ${status}); it will be retried.`,
		);
	}
	if (status === 401 || status === 403) {
		return refused(host, `the server refused access (HTTP ${status}); the image must be readable without a login`);
	}
	if (status >= 400) return refused(host, `the server answered HTTP ${status}; check the URL`);
	return refused(host, `unexpected HTTP ${status}`);
}

/**
 * Reads the body, cancelling it as soon as it passes `maxBytes` (a server may lie about or omit
 * Content-Length) or the signal aborts (a stalled body must not outlive the timeout).
 */
async function readCapped(
	response: Response,
	host: string,
	maxBytes: number,
	signal: AbortSignal,
): Promise<Uint8Array> {
	const body = response.body;
	if (!body) return new Uint8Array(0);
	const reader = body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	try {
		for (;;) {
			const { done, value } = await untilAborted(reader.read(), signal);
			if (done) break;
			total += value.byteLength;
			if (total > maxBytes) throw tooLarge(host, maxBytes);
			chunks.push(value);
		}
	} catch (error) {
		reader.cancel().catch(() => {});
		if (error instanceof ProviderError) throw error;
		if (signal.aborted || isAbortError(error)) throw timedOut(host);
		throw new ProviderError('transient', `Reference image at ${host}: the connection broke while downloading.`);
	}
	return concatBytes(chunks, total);
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	if (signal.aborted) return Promise.reject(signal.reason);
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
		promise.then(
			(value) => {
				signal.removeEventListener('abort', onAbort);
				resolve(value);
			},
			(error: unknown) => {
				signal.removeEventListener('abort', onAbort);
				reject(error);
			},
		);
	});
}

/** Releases a body we will not read, so the connection is not held open. */
async function discard(response: Response): Promise<void> {
	await response.body?.cancel().catch(() => {});
}

// --- Errors ----------------------------------------------------------------------------------

function refused(host: string, what: string): ProviderError {
	return new ProviderError('invalid_request', `Reference image at ${host}: ${what}.`);
}

function tooLarge(host: string, maxBytes: number): ProviderError {
	return refused(host, `the image is larger than the ${formatBytes(maxBytes)} limit; give a smaller image`);
}

function timedOut(host: string): ProviderError {
	return new ProviderError('transient', `Reference image at ${host}: no answer in time; it will be retried.`);
}

function formatBytes(bytes: number): string {
	const mebibytes = bytes / (1024 * 1024);
	return Number.isInteger(mebibytes) ? `${mebibytes} MiB` : `${bytes}-byte`;
}
