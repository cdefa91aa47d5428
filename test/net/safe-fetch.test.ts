import { describe, expect, it } from 'vitest';
import { isForbiddenAddress } from '../../src/net/ip-ranges';
import { checkReferenceUrl, fetchReferenceImage, REFERENCE_MAX_BYTES } from '../../src/net/safe-fetch';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/errors';
import { err, ok } from '../../src/result';
import { encodePng } from '../../src/storage/png';
import {
	hang,
	jsonResponse,
	networkError,
	type RecordedRequest,
	stubFetch,
	type Upstream,
} from '../helpers/fetch-stub';
import { fakeJpeg } from '../helpers/fixtures';

const PNG = await encodePng(new Uint8Array(4 * 3 * 3), 4, 3);
const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

/** What a DoH JSON answer holds for one name (Cloudflare's documented shape; Status is the DNS RCODE). */
interface DnsEntry {
	A?: string[];
	AAAA?: string[];
	CNAME?: string;
	Status?: number;
}

const DNS_TYPES = { A: 1, AAAA: 28 } as const;

function dohAnswer(name: string, type: 'A' | 'AAAA', entry: DnsEntry | undefined): Response {
	if (!entry) return jsonResponse({ Status: 3, Question: [{ name: `${name}.`, type: DNS_TYPES[type] }] });
	const records = (entry[type] ?? []).map((data) => ({ name: `${name}.`, type: DNS_TYPES[type], TTL: 300, data }));
	const chain = entry.CNAME ? [{ name: `${name}.`, type: 5, TTL: 300, data: `${entry.CNAME}.` }] : [];
	return jsonResponse({
		Status: entry.Status ?? 0,
		TC: false,
		RD: true,
		RA: true,
		AD: false,
		CD: false,
		Question: [{ name: `${name}.`, type: DNS_TYPES[type] }],
		Answer: [...chain, ...records],
	});
}

interface World {
	calls: RecordedRequest[];
	/** The `redirect` mode of every request to a web server (not DoH), by URL, in order. */
	redirectModes: { url: string; redirect: string }[];
}

/**
 * The outside world: Cloudflare DoH answering from `dns` (unknown names are NXDOMAIN), and
 * web servers answering from `pages` by exact URL (anything else fails the test loudly).
 */
function stubWorld(dns: Record<string, DnsEntry>, pages: Record<string, Upstream>): World {
	const redirectModes: World['redirectModes'] = [];
	const calls = stubFetch((request, recorded) => {
		const url = new URL(request.url);
		if (url.origin === 'https://cloudflare-dns.com' && url.pathname === '/dns-query') {
			const name = url.searchParams.get('name') ?? '';
			const type = url.searchParams.get('type') === 'AAAA' ? 'AAAA' : 'A';
			return dohAnswer(name, type, dns[name]);
		}
		redirectModes.push({ url: request.url, redirect: request.redirect });
		const page = pages[request.url];
		if (!page) throw new Error(`unexpected request to ${request.url}`);
		return page(request, recorded);
	});
	return { calls, redirectModes };
}

function image(bytes: Uint8Array, contentType: string | undefined = 'image/png', headers: Record<string, string> = {}) {
	return () =>
		new Response(bytes, { headers: contentType === undefined ? headers : { 'content-type': contentType, ...headers } });
}

function redirect(location: string | undefined, status = 302): Upstream {
	return () => new Response(null, { status, headers: location === undefined ? {} : { location } });
}

function doh(name: string, type: 'A' | 'AAAA'): string {
	return `https://cloudflare-dns.com/dns-query?name=${name}&type=${type}`;
}

function options(extra: Partial<Parameters<typeof fetchReferenceImage>[1]> = {}) {
	return { signal: AbortSignal.timeout(5000), ...extra };
}

/** Resolves every name to one public address: for tests about what happens after DNS. */
const publicResolver = async () => [PUBLIC_V4];

async function expectFailure(
	promise: Promise<unknown>,
	kind: ProviderErrorKind,
	...fragments: string[]
): Promise<ProviderError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(ProviderError);
	const providerError = error as ProviderError;
	expect(providerError.kind, providerError.message).toBe(kind);
	for (const fragment of fragments) expect(providerError.message).toContain(fragment);
	expect(providerError.message.length).toBeLessThan(300);
	return providerError;
}

describe('checkReferenceUrl: URLs accepted at job creation', () => {
	it.each([
		'https://example.com/cat.png',
		'https://images.example.com:8443/cat.png',
		'https://example.com./cat.png',
		'https://cdn.example.co.uk/a/b/c.webp?size=large&v=2#top',
		'https://bücher.example/cover.jpg',
		'https://8.8.8.8/cat.png',
		'https://1.1.1.1:443/cat.png',
		'https://[2606:4700:4700::1111]/cat.png',
		'https://[2606:4700:4700::1111]:8443/cat.png',
		// Just outside the refused ranges.
		'https://11.0.0.1/',
		'https://172.15.255.255/',
		'https://172.32.0.1/',
		'https://100.63.255.255/',
		'https://100.128.0.1/',
		'https://169.255.0.1/',
		'https://198.17.255.255/',
		'https://198.20.0.1/',
		'https://223.255.255.255/',
		// IPv4 embedded in IPv6 is judged by the IPv4 address: these embed public 8.8.8.8.
		'https://[::ffff:8.8.8.8]/',
		'https://[64:ff9b::8.8.8.8]/',
		'https://[2002:808:808::1]/',
	])('accepts %s', (raw) => {
		const result = checkReferenceUrl(raw);
		expect(result).toEqual(ok(new URL(raw)));
	});

	it('keeps ports on public hosts', () => {
		const result = checkReferenceUrl('https://images.example.com:8443/cat.png');
		expect(result.ok && result.value.port).toBe('8443');
	});

	it.each([
		['http://example.com/cat.png', 'only https URLs are accepted (this one is http)'],
		['ftp://example.com/cat.png', 'only https URLs are accepted (this one is ftp)'],
		['data:image/png;base64,iVBORw0KGgo=', 'only https URLs are accepted (this one is data)'],
		['javascript:alert(1)', 'only https URLs are accepted (this one is javascript)'],
		['file:///etc/passwd', 'only https URLs are accepted (this one is file)'],
		['https://user:secret@example.com/cat.png', 'user name or password are not accepted'],
		['https://user@example.com/cat.png', 'user name or password are not accepted'],
		['https://:secret@example.com/cat.png', 'user name or password are not accepted'],
		['https://exa mple.com/cat.png', 'is not a valid URL'],
		['https://', 'is not a valid URL'],
		['https://256.1.1.1/', 'is not a valid URL'],
	])('refuses %s', (raw, message) => {
		const result = checkReferenceUrl(raw);
		expect(result.ok).toBe(false);
		expect(!result.ok && result.error).toContain(message);
	});

	it.each([
		['https://localhost/cat.png', 'localhost is a local network name (.localhost)'],
		['https://localhost./cat.png', 'localhost. is a local network name (.localhost)'],
		['https://LOCALHOST:8787/cat.png', 'localhost is a local network name'],
		['https://ｌｏｃａｌｈｏｓｔ/cat.png', 'localhost is a local network name'],
		['https://app.localhost/cat.png', 'app.localhost is a local network name (.localhost)'],
		['https://printer.local/cat.png', 'printer.local is a local network name (.local)'],
		['https://metadata.google.internal/computeMetadata/v1/', 'is a local network name (.internal)'],
		['https://router.home.arpa/cat.png', 'is a local network name (.home.arpa)'],
		['https://nas.lan/cat.png', 'nas.lan is a local network name (.lan)'],
		['https://nas.lan./cat.png', 'nas.lan. is a local network name (.lan)'],
		['https://intranet/cat.png', 'is a local network name (.intranet)'],
		['https://fileserver/cat.png', '"fileserver" is a single-label hostname'],
		['https://fileserver./cat.png', '"fileserver." is a single-label hostname'],
	])('refuses the local hostname in %s', (raw, message) => {
		const result = checkReferenceUrl(raw);
		expect(result.ok).toBe(false);
		expect(!result.ok && result.error).toContain(message);
		expect(!result.ok && result.error).toContain('only public https URLs of internet hosts are accepted');
	});

	it.each([
		// Every IPv4 spelling the WHATWG parser normalises to 127.0.0.1.
		['https://127.0.0.1/', '127.0.0.1 is a loopback address'],
		['https://127.0.0.1./', '127.0.0.1 is a loopback address'],
		['https://2130706433/', '127.0.0.1 is a loopback address'],
		['https://0x7f.1/', '127.0.0.1 is a loopback address'],
		['https://0x7f000001/', '127.0.0.1 is a loopback address'],
		['https://127.1/', '127.0.0.1 is a loopback address'],
		['https://0177.0.0.1/', '127.0.0.1 is a loopback address'],
		['https://%31%32%37.0.0.1/', '127.0.0.1 is a loopback address'],
		['https://127.255.255.254/', 'is a loopback address'],
		['https://10.0.0.1/', '10.0.0.1 is a private address'],
		['https://10.255.255.255/', 'is a private address'],
		['https://172.16.0.1/', '172.16.0.1 is a private address'],
		['https://172.31.255.255/', 'is a private address'],
		['https://192.168.1.1/', '192.168.1.1 is a private address'],
		['https://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
		['https://100.64.0.1/', 'a shared (CGNAT) address'],
		['https://100.127.255.255/', 'a shared (CGNAT) address'],
		['https://0.0.0.0/', 'an unspecified ("this network") address'],
		['https://0/', '0.0.0.0 is an unspecified'],
		['https://198.18.0.1/', 'a benchmarking address'],
		['https://198.19.255.255/', 'a benchmarking address'],
		['https://192.0.2.1/', 'a documentation address'],
		['https://198.51.100.7/', 'a documentation address'],
		['https://203.0.113.9/', 'a documentation address'],
		['https://192.0.0.8/', 'a reserved (IETF protocol) address'],
		['https://192.88.99.1/', 'a reserved (6to4 relay) address'],
		['https://224.0.0.1/', 'a multicast address'],
		['https://239.255.255.250/', 'a multicast address'],
		['https://240.0.0.1/', 'a reserved or broadcast address'],
		['https://255.255.255.255/', 'a reserved or broadcast address'],
	])('refuses the IPv4 literal in %s', (raw, message) => {
		const result = checkReferenceUrl(raw);
		expect(result.ok).toBe(false);
		expect(!result.ok && result.error).toContain(message);
	});

	it.each([
		['https://[::1]/', '[::1] is the loopback address'],
		['https://[0:0:0:0:0:0:0:1]:8443/', '[::1] is the loopback address'],
		['https://[::]/', '[::] is the unspecified address'],
		['https://[::ffff:127.0.0.1]/', 'the IPv4-mapped form of 127.0.0.1, a loopback address'],
		['https://[::ffff:7f00:1]/', 'the IPv4-mapped form of 127.0.0.1, a loopback address'],
		['https://[::ffff:10.0.0.1]/', 'the IPv4-mapped form of 10.0.0.1, a private address'],
		['https://[::ffff:169.254.169.254]/', 'the IPv4-mapped form of 169.254.169.254, a link-local address'],
		['https://[64:ff9b::10.0.0.1]/', 'the NAT64 form of 10.0.0.1, a private address'],
		['https://[64:ff9b::7f00:1]/', 'the NAT64 form of 127.0.0.1, a loopback address'],
		['https://[64:ff9b:1::1]/', 'a local-use NAT64 address'],
		['https://[2002:7f00:1::]/', 'the 6to4 form of 127.0.0.1, a loopback address'],
		['https://[2002:c0a8:101::1]/', 'the 6to4 form of 192.168.1.1, a private address'],
		['https://[::127.0.0.1]/', 'a reserved address'],
		['https://[fe80::1]/', 'a link-local address'],
		['https://[febf:ffff::1]/', 'a link-local address'],
		['https://[fec0::1]/', 'a site-local address'],
		['https://[fc00::1]/', 'a unique local (private) address'],
		['https://[fd12:3456:789a::1]/', 'a unique local (private) address'],
		['https://[ff02::1]/', 'a multicast address'],
		['https://[2001:db8::1]/', 'a documentation address'],
		['https://[3fff::1]/', 'a documentation address'],
		['https://[2001::1]/', 'a reserved (IETF protocol) address'],
		['https://[2001:2::1]/', 'a reserved (IETF protocol) address'],
		['https://[100::1]/', 'a reserved address'],
	])('refuses the IPv6 literal in %s', (raw, message) => {
		const result = checkReferenceUrl(raw);
		expect(result.ok).toBe(false);
		expect(!result.ok && result.error).toContain(message);
	});

	it('never echoes a huge input in its message', () => {
		const huge = `https://exa mple.com/${'a'.repeat(5000)}`;
		const result = checkReferenceUrl(huge);
		expect(result.ok).toBe(false);
		expect(!result.ok && result.error.length).toBeLessThan(200);
		const tooLong = checkReferenceUrl(`https://example.com/${'a'.repeat(9000)}`);
		expect(tooLong).toEqual(err('the URL is longer than 8192 characters.'));
	});
});

describe('isForbiddenAddress', () => {
	it.each([
		'127.0.0.1',
		'10.0.0.1',
		'172.20.1.1',
		'192.168.0.1',
		'169.254.169.254',
		'100.100.100.200',
		'198.18.5.5',
		'0.0.0.0',
		'255.255.255.255',
		'::1',
		'[::1]',
		'::',
		'::ffff:127.0.0.1',
		'::ffff:7f00:1',
		'0:0:0:0:0:ffff:a00:1',
		'64:ff9b::192.168.1.1',
		'2002:a00:1::1',
		'fe80::1',
		'fe80::1%eth0',
		'fd00::1',
		'ff02::1',
		'2001:db8::dead:beef',
		'FC00::1',
		// IPv4-compatible (RFC 4291 §2.5.5.1), reserved: not the IPv4-mapped ::ffff:8.8.8.8.
		'::8.8.8.8',
		// AMT and AS112 inside the IETF block 2001::/23, unlike their IPv4 and 2620:4f:8000::/48 forms.
		'2001:3::1',
		'2001:4:112::1',
		'5f00::1',
	])('refuses %s', (ip) => {
		expect(isForbiddenAddress(ip)).toBe(true);
	});

	it.each([
		'8.8.8.8',
		'93.184.215.14',
		'1.1.1.1',
		'2606:4700:4700::1111',
		'[2606:4700:4700::1111]',
		'2a00:1450:4001:80b::200e',
		'::ffff:8.8.8.8',
		'64:ff9b::808:808',
		'2002:808:808::1',
		'2606:4700::8.8.8.8',
		// AS112 (RFC 7534, RFC 7535) and AMT (RFC 7450): special-purpose, yet global.
		'192.175.48.1',
		'192.52.193.1',
		'2620:4f:8000::1',
	])('allows the public address %s', (ip) => {
		expect(isForbiddenAddress(ip)).toBe(false);
	});

	// Public-looking on purpose: a parser that accepted them would see an allowed address.
	it.each([
		'',
		'example.com',
		'8.8.8',
		'8.8.8.8.8',
		'8.8.8.256',
		'08.8.8.8',
		'0x8.8.8.8',
		' 8.8.8.8',
		'8.8.8.8 ',
		'2606::1::3',
		'2606:4700:4700:0:0:0:0:1111:1',
		'2606:4700:4700:0:0:0:1111',
		'2606:1:2:3:4:5:6::7',
		'2606:4700:::1',
		'2606:12345::1',
		'2606:4700:4700::111g',
		'2606:4700:4700::1111%eth0',
		'::ffff:8.8.8.256',
		'::ffff:0x8.8.8.8',
		'::ffff:010.8.8.8',
		'2606:4700:8.8.8.8::1',
		'2606:4700::8.8.8.8:1',
		'[2606:4700:4700::1111',
	])('fails closed on the malformed literal %j', (ip) => {
		expect(isForbiddenAddress(ip)).toBe(true);
	});
});

describe('fetchReferenceImage', () => {
	it('resolves the name over DoH, then GETs the image without following redirects, and returns the sniffed image', async () => {
		const world = stubWorld(
			{ 'images.example.com': { A: [PUBLIC_V4], AAAA: [PUBLIC_V6] } },
			{ 'https://images.example.com/cat.png': image(PNG) },
		);
		const result = await fetchReferenceImage('https://images.example.com/cat.png', options());

		expect(result).toEqual({ bytes: PNG, contentType: 'image/png', width: 4, height: 3 });
		const dohCalls = world.calls
			.slice(0, 2)
			.map((call) => ({ method: call.method, url: call.url, accept: call.headers.accept }));
		expect(dohCalls.sort((a, b) => a.url.localeCompare(b.url))).toEqual([
			{ method: 'GET', url: doh('images.example.com', 'A'), accept: 'application/dns-json' },
			{ method: 'GET', url: doh('images.example.com', 'AAAA'), accept: 'application/dns-json' },
		]);
		expect(world.calls).toHaveLength(3);
		expect(world.calls[2]).toMatchObject({
			method: 'GET',
			url: 'https://images.example.com/cat.png',
			headers: { accept: 'image/png, image/jpeg, image/webp, image/gif' },
		});
		expect(world.redirectModes).toEqual([{ url: 'https://images.example.com/cat.png', redirect: 'manual' }]);
	});

	it('returns the sniffed type, not the one the server declared', async () => {
		stubWorld(
			{ 'images.example.com': { A: [PUBLIC_V4] } },
			{ 'https://images.example.com/photo': image(fakeJpeg(640, 480), 'image/png') },
		);
		const result = await fetchReferenceImage('https://images.example.com/photo', options());
		expect(result).toMatchObject({ contentType: 'image/jpeg', width: 640, height: 480 });
	});

	it.each([
		['application/octet-stream', 'application/octet-stream'],
		['no content type', undefined],
		['image/png with parameters', 'IMAGE/PNG; charset=binary'],
	])('accepts image bytes served as %s', async (_label, contentType) => {
		stubWorld({}, { 'https://8.8.8.8/blob': image(PNG, contentType) });
		const result = await fetchReferenceImage('https://8.8.8.8/blob', options());
		expect(result.contentType).toBe('image/png');
	});

	it('skips DNS for IP literals', async () => {
		const world = stubWorld({}, { 'https://[2606:4700:4700::1111]/cat.png': image(PNG) });
		await fetchReferenceImage('https://[2606:4700:4700::1111]/cat.png', options());
		expect(world.calls.map((call) => call.url)).toEqual(['https://[2606:4700:4700::1111]/cat.png']);
	});

	it('follows a CNAME chain in the DoH answer to its addresses', async () => {
		stubWorld(
			{ 'img.example.com': { CNAME: 'cdn.example.net', A: [PUBLIC_V4] } },
			{ 'https://img.example.com/cat.png': image(PNG) },
		);
		await expect(fetchReferenceImage('https://img.example.com/cat.png', options())).resolves.toMatchObject({
			contentType: 'image/png',
		});
	});

	it('refuses a name whose DNS answer points at 10.0.0.1, before sending it anything', async () => {
		const world = stubWorld({ 'inside.example.com': { A: ['10.0.0.1'] } }, {});
		await expectFailure(
			fetchReferenceImage('https://inside.example.com/cat.png', options()),
			'invalid_request',
			'Reference image at inside.example.com: the name resolves to 10.0.0.1, a private address',
		);
		expect(world.calls.every((call) => call.url.startsWith('https://cloudflare-dns.com/'))).toBe(true);
	});

	it('refuses a name when one answer among public ones is forbidden (IPv6 loopback)', async () => {
		stubWorld({ 'mixed.example.com': { A: [PUBLIC_V4], AAAA: ['::1'] } }, {});
		await expectFailure(
			fetchReferenceImage('https://mixed.example.com/cat.png', options()),
			'invalid_request',
			'resolves to ::1, the loopback address',
		);
	});

	it('refuses a name that does not exist (NXDOMAIN) or has no address', async () => {
		stubWorld({ 'empty.example.com': {} }, {});
		await expectFailure(
			fetchReferenceImage('https://nope.example.com/cat.png', options()),
			'invalid_request',
			'nope.example.com: no such host',
		);
		await expectFailure(
			fetchReferenceImage('https://empty.example.com/cat.png', options()),
			'invalid_request',
			'the name has no IPv4 or IPv6 address',
		);
	});

	it.each([
		['an HTTP error', () => new Response('oops', { status: 502 })],
		['SERVFAIL', () => jsonResponse({ Status: 2 })],
		['a body that is not JSON', () => new Response('<html>', { status: 200 })],
		['a network error', networkError],
	])('treats DoH failing with %s as transient, and fetches nothing', async (_label, answer) => {
		const calls = stubFetch(answer);
		await expectFailure(
			fetchReferenceImage('https://images.example.com/cat.png', options()),
			'transient',
			'images.example.com: the DNS lookup failed',
		);
		expect(calls.every((call) => call.url.startsWith('https://cloudflare-dns.com/'))).toBe(true);
	});

	it('uses an injected resolver instead of DoH, and refuses what it returns when forbidden', async () => {
		const asked: string[] = [];
		const world = stubWorld({}, { 'https://images.example.com/cat.png': image(PNG) });
		const resolveHost = async (hostname: string, signal: AbortSignal) => {
			asked.push(hostname);
			expect(signal).toBeInstanceOf(AbortSignal);
			return hostname === 'images.example.com' ? [PUBLIC_V4] : ['127.0.0.1'];
		};
		await fetchReferenceImage('https://images.example.com/cat.png', options({ resolveHost }));
		expect(world.calls.map((call) => call.url)).toEqual(['https://images.example.com/cat.png']);
		await expectFailure(
			fetchReferenceImage('https://rebind.example.com/cat.png', options({ resolveHost })),
			'invalid_request',
			'resolves to 127.0.0.1, a loopback address',
		);
		expect(asked).toEqual(['images.example.com', 'rebind.example.com']);
	});

	it('passes on a ProviderError thrown by the resolver, and maps any other failure to transient', async () => {
		stubWorld({}, {});
		const chosen = new ProviderError(
			'invalid_request',
			'Reference image at x.example.com: host not on the allow-list.',
		);
		await expect(
			fetchReferenceImage('https://x.example.com/a.png', options({ resolveHost: () => Promise.reject(chosen) })),
		).rejects.toBe(chosen);
		await expectFailure(
			fetchReferenceImage(
				'https://x.example.com/a.png',
				options({ resolveHost: () => Promise.reject(new Error('resolver exploded')) }),
			),
			'transient',
			'the DNS lookup failed',
		);
	});

	it('refuses a policy-breaking URL without any request', async () => {
		const calls = stubFetch(networkError);
		await expectFailure(
			fetchReferenceImage('http://images.example.com/cat.png', options()),
			'invalid_request',
			'Reference image URL refused: only https URLs are accepted',
		);
		await expectFailure(
			fetchReferenceImage('https://[::ffff:127.0.0.1]/cat.png', options()),
			'invalid_request',
			'127.0.0.1, a loopback address',
		);
		expect(calls).toEqual([]);
	});

	describe('redirects', () => {
		it('follows up to 3 redirects (relative ones too), checking each new host once', async () => {
			const world = stubWorld(
				{
					'a.example.com': { A: [PUBLIC_V4] },
					'b.example.com': { A: [PUBLIC_V4] },
					'c.example.com': { A: [PUBLIC_V4] },
				},
				{
					'https://a.example.com/1': redirect('https://b.example.com/2', 301),
					'https://b.example.com/2': redirect('/3', 307),
					'https://b.example.com/3': redirect('https://c.example.com/final.png', 308),
					'https://c.example.com/final.png': image(PNG),
				},
			);
			await expect(fetchReferenceImage('https://a.example.com/1', options())).resolves.toMatchObject({
				contentType: 'image/png',
			});
			const gets = world.calls.filter((call) => !call.url.startsWith('https://cloudflare-dns.com/'));
			expect(gets.map((call) => call.url)).toEqual([
				'https://a.example.com/1',
				'https://b.example.com/2',
				'https://b.example.com/3',
				'https://c.example.com/final.png',
			]);
			const dohNames = world.calls
				.filter((call) => call.url.startsWith('https://cloudflare-dns.com/'))
				.map((call) => new URL(call.url).searchParams.get('name'));
			expect(dohNames).toEqual([
				'a.example.com',
				'a.example.com',
				'b.example.com',
				'b.example.com',
				'c.example.com',
				'c.example.com',
			]);
			expect(world.redirectModes.map((request) => request.redirect)).toEqual(['manual', 'manual', 'manual', 'manual']);
		});

		it('refuses a chain longer than the limit', async () => {
			const world = stubWorld(
				{},
				{
					'https://a.example.com/1': redirect('https://a.example.com/2'),
					'https://a.example.com/2': redirect('https://a.example.com/3'),
					'https://a.example.com/3': redirect('https://a.example.com/4'),
					'https://a.example.com/4': redirect('https://a.example.com/5'),
					'https://a.example.com/5': image(PNG),
				},
			);
			await expectFailure(
				fetchReferenceImage('https://a.example.com/1', options({ resolveHost: publicResolver })),
				'invalid_request',
				'Reference image at a.example.com: more than 3 redirects',
			);
			expect(world.calls).toHaveLength(4);
			stubWorld(
				{},
				{
					'https://a.example.com/1': redirect('https://a.example.com/2'),
					'https://a.example.com/2': image(PNG),
				},
			);
			await expectFailure(
				fetchReferenceImage('https://a.example.com/1', options({ resolveHost: publicResolver, maxRedirects: 0 })),
				'invalid_request',
				'more than 0 redirects',
			);
		});

		it.each([
			['a private IP', 'https://127.0.0.1/cat.png', '127.0.0.1 is a loopback address'],
			['a mapped IPv6 loopback', 'https://[::ffff:7f00:1]/', 'IPv4-mapped form of 127.0.0.1'],
			['cloud metadata', 'http://169.254.169.254/latest/meta-data/', 'only https URLs are accepted (this one is http)'],
			['http', 'http://images.example.com/cat.png', 'only https URLs are accepted (this one is http)'],
			['localhost', 'https://localhost:8787/images/x.png', 'localhost is a local network name'],
			['a URL with credentials', 'https://admin:admin@images.example.com/', 'user name or password'],
		])('refuses a redirect to %s without following it', async (_label, location, message) => {
			const world = stubWorld({}, { 'https://images.example.com/cat.png': redirect(location) });
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', options({ resolveHost: publicResolver })),
				'invalid_request',
				'Reference image at images.example.com: redirected to a URL that is not allowed',
				message,
			);
			expect(world.calls.map((call) => call.url)).toEqual(['https://images.example.com/cat.png']);
		});

		it('refuses a redirect to a name that resolves inside', async () => {
			const world = stubWorld(
				{ 'images.example.com': { A: [PUBLIC_V4] }, 'inside.example.com': { A: ['192.168.0.10'] } },
				{ 'https://images.example.com/cat.png': redirect('https://inside.example.com/cat.png') },
			);
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', options()),
				'invalid_request',
				'Reference image at inside.example.com: the name resolves to 192.168.0.10, a private address',
			);
			expect(world.calls.map((call) => call.url)).not.toContain('https://inside.example.com/cat.png');
		});

		it('refuses a redirect without a Location', async () => {
			stubWorld({}, { 'https://images.example.com/cat.png': redirect(undefined, 302) });
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', options({ resolveHost: publicResolver })),
				'invalid_request',
				'answered HTTP 302 without a Location',
			);
		});
	});

	describe('HTTP answers', () => {
		it.each([
			[404, 'invalid_request', 'the server answered HTTP 404; check the URL'],
			[410, 'invalid_request', 'the server answered HTTP 410'],
			[403, 'invalid_request', 'the server refused access (HTTP 403); the image must be readable without a login'],
			[401, 'invalid_request', 'the server refused access (HTTP 401)'],
			[503, 'transient', 'the server failed temporarily (HTTP 503)'],
			[500, 'transient', 'the server failed temporarily (HTTP 500)'],
			[429, 'transient', 'the server failed temporarily (HTTP 429)'],
			[408, 'transient', 'the server failed temporarily (HTTP 408)'],
			[304, 'invalid_request', 'unexpected HTTP 304'],
		] as const)('HTTP %i is %s', async (status, kind, message) => {
			stubWorld({}, { 'https://images.example.com/cat.png': () => new Response(null, { status }) });
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', options({ resolveHost: publicResolver })),
				kind,
				`Reference image at images.example.com: ${message}`,
			);
		});

		it('names the host but never echoes a huge URL', async () => {
			const url = `https://images.example.com:8443/${'x'.repeat(6000)}.png`;
			stubWorld({}, { [url]: () => new Response('not here', { status: 404 }) });
			const error = await expectFailure(
				fetchReferenceImage(url, options({ resolveHost: publicResolver })),
				'invalid_request',
				'images.example.com:8443',
			);
			expect(error.message).not.toContain('xxxxxxxxxx');
		});

		it('is transient when the connection fails', async () => {
			stubWorld({}, { 'https://images.example.com/cat.png': networkError });
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', options({ resolveHost: publicResolver })),
				'transient',
				'could not connect (network error)',
			);
		});
	});

	describe('timeouts', () => {
		it('is transient when the image server never answers', async () => {
			stubWorld({}, { 'https://images.example.com/cat.png': hang });
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', {
					signal: AbortSignal.timeout(50),
					resolveHost: publicResolver,
				}),
				'transient',
				'images.example.com: no answer in time',
			);
		});

		it('is transient when DoH never answers', async () => {
			stubFetch(hang);
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', { signal: AbortSignal.timeout(50) }),
				'transient',
				'no answer in time',
			);
		});

		it('is transient when the body stalls after the headers', async () => {
			let cancelled = false;
			const stalled = new ReadableStream<Uint8Array>({
				start(controller) {
					controller.enqueue(PNG.subarray(0, 10));
				},
				cancel() {
					cancelled = true;
				},
			});
			stubWorld(
				{},
				{
					'https://images.example.com/cat.png': () =>
						new Response(stalled, { headers: { 'content-type': 'image/png' } }),
				},
			);
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', {
					signal: AbortSignal.timeout(50),
					resolveHost: publicResolver,
				}),
				'transient',
				'no answer in time',
			);
			await expect.poll(() => cancelled).toBe(true);
		});
	});

	describe('content', () => {
		/**
		 * A body that starts like a PNG and goes on in `chunkSize` pieces up to `limit` bytes,
		 * counting what was pulled from it and whether it was cancelled. It ends at `limit` so a
		 * fetch that ignored the cap would finish (and fail the test) rather than run forever.
		 */
		function longBody(chunkSize: number, limit: number) {
			const state = { pulled: 0, cancelled: false };
			const stream = new ReadableStream<Uint8Array>(
				{
					pull(controller) {
						if (state.pulled >= limit) {
							controller.close();
							return;
						}
						const chunk = new Uint8Array(chunkSize);
						if (state.pulled === 0) chunk.set(PNG.subarray(0, Math.min(PNG.length, chunkSize)));
						state.pulled += chunkSize;
						controller.enqueue(chunk);
					},
					cancel() {
						state.cancelled = true;
					},
				},
				{ highWaterMark: 0 },
			);
			return { state, stream };
		}

		it('refuses from Content-Length over the cap without reading the body', async () => {
			const { state, stream } = longBody(1024, REFERENCE_MAX_BYTES + 1);
			stubWorld(
				{},
				{
					'https://images.example.com/huge.png': () =>
						new Response(stream, {
							headers: { 'content-type': 'image/png', 'content-length': String(REFERENCE_MAX_BYTES + 1) },
						}),
				},
			);
			await expectFailure(
				fetchReferenceImage('https://images.example.com/huge.png', options({ resolveHost: publicResolver })),
				'invalid_request',
				'images.example.com: the image is larger than the 10 MiB limit',
			);
			expect(state.pulled).toBe(0);
		});

		it('cuts off a body without Content-Length as soon as it passes the cap', async () => {
			const { state, stream } = longBody(64 * 1024, 2 * REFERENCE_MAX_BYTES);
			stubWorld(
				{},
				{
					'https://images.example.com/endless.png': () =>
						new Response(stream, { headers: { 'content-type': 'image/png' } }),
				},
			);
			await expectFailure(
				fetchReferenceImage('https://images.example.com/endless.png', options({ resolveHost: publicResolver })),
				'invalid_request',
				'larger than the 10 MiB limit',
			);
			await expect.poll(() => state.cancelled).toBe(true);
			// At most a few chunks past the cap were ever produced.
			expect(state.pulled).toBeGreaterThan(REFERENCE_MAX_BYTES);
			expect(state.pulled).toBeLessThanOrEqual(REFERENCE_MAX_BYTES + 4 * 64 * 1024);
		});

		it('cuts off a server whose Content-Length understates the body', async () => {
			const { stream } = longBody(1024, 8192);
			stubWorld(
				{},
				{
					'https://images.example.com/liar.png': () =>
						new Response(stream, { headers: { 'content-type': 'image/png', 'content-length': '100' } }),
				},
			);
			await expectFailure(
				fetchReferenceImage(
					'https://images.example.com/liar.png',
					options({ resolveHost: publicResolver, maxBytes: 4096 }),
				),
				'invalid_request',
				'larger than the 4096-byte limit',
			);
		});

		it('accepts an image of exactly maxBytes and refuses one byte more', async () => {
			stubWorld({}, { 'https://images.example.com/cat.png': image(PNG) });
			await expect(
				fetchReferenceImage(
					'https://images.example.com/cat.png',
					options({ resolveHost: publicResolver, maxBytes: PNG.length }),
				),
			).resolves.toMatchObject({ width: 4, height: 3 });
			await expectFailure(
				fetchReferenceImage(
					'https://images.example.com/cat.png',
					options({ resolveHost: publicResolver, maxBytes: PNG.length - 1 }),
				),
				'invalid_request',
				'is larger than the',
			);
		});

		it.each([
			['text/html; charset=utf-8', 'the content type is "text/html", not an image; expected PNG, JPEG, WebP or GIF'],
			['image/svg+xml', 'the content type is "image/svg+xml", not an image'],
			['application/json', 'the content type is "application/json"'],
		])('refuses %s, whatever the bytes', async (contentType, message) => {
			stubWorld({}, { 'https://images.example.com/page': image(PNG, contentType) });
			await expectFailure(
				fetchReferenceImage('https://images.example.com/page', options({ resolveHost: publicResolver })),
				'invalid_request',
				`Reference image at images.example.com: ${message}`,
			);
		});

		it.each([
			['an HTML page', 'image/png', new TextEncoder().encode('<!doctype html><title>Login</title>')],
			['an empty body', 'image/png', new Uint8Array(0)],
			['a truncated PNG', 'image/png', PNG.subarray(0, 20)],
			['unknown octets', 'application/octet-stream', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])],
		])('refuses %s served as an image', async (_label, contentType, bytes) => {
			stubWorld({}, { 'https://images.example.com/cat.png': image(bytes, contentType) });
			await expectFailure(
				fetchReferenceImage('https://images.example.com/cat.png', options({ resolveHost: publicResolver })),
				'invalid_request',
				'Reference image at images.example.com: the content is not a PNG, JPEG, WebP or GIF image',
			);
		});
	});
});
