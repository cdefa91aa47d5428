/**
 * Which IP addresses an outbound fetch may reach: public unicast ones only. ipaddr.js parses the
 * text and names the special-purpose range an address falls in (the IANA IPv4 and IPv6
 * special-purpose registries, RFC 6890 and updates); the tables below decide which of its ranges
 * are refused and say what each is in a message. IPv4-mapped, NAT64 (RFC 6052) and 6to4
 * addresses are judged by the IPv4 address inside.
 *
 * Fail closed: text that is not a strict literal, a range name this module does not know (a
 * newer ipaddr.js may add some) and IPv6 outside global unicast space are all refused.
 */
import ipaddr from 'ipaddr.js';

/** Said of a range ipaddr.js names but this module does not know. */
const UNKNOWN_RANGE = 'a special-purpose address';
const RESERVED = 'a reserved address';
const IETF_PROTOCOL = 'a reserved (IETF protocol) address';
const DOCUMENTATION = 'a documentation address';
const RESERVED_OR_BROADCAST = 'a reserved or broadcast address';

/**
 * The IPv4 ranges allowed: ordinary unicast and the registry's two global entries, AS112
 * (RFC 7534) and AMT (RFC 7450).
 */
const PUBLIC_IPV4_RANGES: ReadonlySet<string> = new Set(['unicast', 'as112', 'amt']);

/**
 * What each refused IPv4 range of ipaddr.js (`IPv4.prototype.SpecialRanges`) is, for messages;
 * `IPV4_RESERVED_BLOCKS` names parts of `reserved` more precisely.
 */
const IPV4_RANGE_REASONS: Readonly<Record<string, string>> = {
	unspecified: 'an unspecified ("this network") address',
	private: 'a private address',
	carrierGradeNat: 'a shared (CGNAT) address',
	loopback: 'a loopback address',
	linkLocal: 'a link-local address',
	multicast: 'a multicast address',
	broadcast: RESERVED_OR_BROADCAST,
	reserved: RESERVED_OR_BROADCAST,
};

/**
 * Blocks that ipaddr.js puts in its IPv4 `reserved` range with 240.0.0.0/4, named apart in
 * messages (RFC 6890, RFC 5737, RFC 7526, RFC 2544). Messages only: they are refused either way.
 */
const IPV4_RESERVED_BLOCKS = cidrs([
	['192.0.0.0/24', IETF_PROTOCOL],
	['192.0.2.0/24', DOCUMENTATION],
	['198.51.100.0/24', DOCUMENTATION],
	['203.0.113.0/24', DOCUMENTATION],
	['192.88.99.0/24', 'a reserved (6to4 relay) address'],
	['198.18.0.0/15', 'a benchmarking address'],
]);

/**
 * The IPv6 ranges that may be allowed: ordinary unicast and AS112 (RFC 7535), both only inside
 * global unicast (2000::/3) and outside the IETF protocol block (2001::/23).
 */
const PUBLIC_IPV6_RANGES: ReadonlySet<string> = new Set(['unicast', 'as112v6']);

/**
 * What each refused IPv6 range of ipaddr.js (`IPv6.prototype.SpecialRanges`, which has more
 * names than its type declarations list) is, for messages; `IPV6_RESERVED_BLOCKS` names parts of
 * `reserved` more precisely. `ipv4Mapped`, `rfc6052` and `6to4` are judged by the IPv4 address
 * inside instead (`ipv6Reason`).
 */
const IPV6_RANGE_REASONS: Readonly<Record<string, string>> = {
	unspecified: 'the unspecified address',
	loopback: 'the loopback address',
	uniqueLocal: 'a unique local (private) address',
	linkLocal: 'a link-local address',
	deprecatedSiteLocal: 'a site-local address',
	multicast: 'a multicast address',
	// Outside global unicast.
	discard: RESERVED,
	rfc6145: RESERVED,
	segmentRouting: RESERVED,
	// Inside the IETF protocol block 2001::/23: Teredo (which hides an IPv4 address), benchmarking,
	// AMT, ORCHID, drone IDs and the rest of the block.
	teredo: IETF_PROTOCOL,
	benchmarking: IETF_PROTOCOL,
	amt: IETF_PROTOCOL,
	deprecatedOrchid: IETF_PROTOCOL,
	orchid2: IETF_PROTOCOL,
	droneRemoteIdProtocolEntityTags: IETF_PROTOCOL,
	reserved: IETF_PROTOCOL,
};

/** The documentation blocks (RFC 3849, RFC 9637), in ipaddr.js's IPv6 `reserved` range with 2001::/23. */
const IPV6_RESERVED_BLOCKS = cidrs([
	['2001:db8::/32', DOCUMENTATION],
	['3fff::/20', DOCUMENTATION],
]);

/** Global unicast (RFC 4291 §2.4): the rest of IPv6 is reserved, whatever ipaddr.js calls it. */
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/** IETF protocol assignments (RFC 2928); ipaddr.js names AS112's 2001:4:112::/48 in it `as112v6`. */
const IPV6_IETF_BLOCK = ipaddr.IPv6.parseCIDR('2001::/23');

/** NAT64's well-known prefix (RFC 6052 §2.1): the IPv4 address is the last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * True for every IPv4 or IPv6 literal (brackets allowed) that is not a public unicast address,
 * and for anything that is not a well-formed literal at all (fail closed).
 */
export function isForbiddenAddress(ip: string): boolean {
	return forbiddenAddressReason(ip) !== undefined;
}

/**
 * Why an address literal (brackets allowed) is refused, e.g. "a private address" or "the
 * IPv4-mapped form of 127.0.0.1, a loopback address"; "not an IP address" for anything
 * malformed (fail closed); undefined for a public unicast address.
 */
export function forbiddenAddressReason(ip: string): string | undefined {
	const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
	const address = parseStrict(bare);
	if (!address) return 'not an IP address';
	return address instanceof ipaddr.IPv4 ? ipv4Reason(address) : ipv6Reason(address);
}

function ipv4Reason(address: ipaddr.IPv4): string | undefined {
	const range: string = address.range();
	if (PUBLIC_IPV4_RANGES.has(range)) return undefined;
	return blockReason(address, IPV4_RESERVED_BLOCKS) ?? IPV4_RANGE_REASONS[range] ?? UNKNOWN_RANGE;
}

function ipv6Reason(address: ipaddr.IPv6): string | undefined {
	const range: string = address.range();
	if (range === 'ipv4Mapped') return embeddedReason(address.toIPv4Address(), 'the IPv4-mapped');
	if (range === '6to4') return embeddedReason(ipv4At(address, 2), 'the 6to4');
	if (range === 'rfc6052') {
		// Only the well-known /96 embeds an IPv4 address; the rest is local-use 64:ff9b:1::/48 (RFC 8215).
		if (address.match(NAT64_WELL_KNOWN)) return embeddedReason(ipv4At(address, 12), 'the NAT64');
		return 'a local-use NAT64 address';
	}
	if (PUBLIC_IPV6_RANGES.has(range)) {
		if (!address.match(IPV6_GLOBAL_UNICAST)) return RESERVED;
		return address.match(IPV6_IETF_BLOCK) ? IETF_PROTOCOL : undefined;
	}
	return blockReason(address, IPV6_RESERVED_BLOCKS) ?? IPV6_RANGE_REASONS[range] ?? UNKNOWN_RANGE;
}

/** Why an IPv4 address carried inside an IPv6 one is refused, naming the form, or undefined. */
function embeddedReason(inner: ipaddr.IPv4, form: string): string | undefined {
	const reason = ipv4Reason(inner);
	return reason && `${form} form of ${inner.toString()}, ${reason}`;
}

/** The IPv4 address in bytes `offset` to `offset + 3` of an IPv6 address. */
function ipv4At(address: ipaddr.IPv6, offset: number): ipaddr.IPv4 {
	return new ipaddr.IPv4(address.toByteArray().slice(offset, offset + 4));
}

type Block = readonly [range: [ipaddr.IPv4 | ipaddr.IPv6, number], reason: string];

function cidrs(entries: readonly (readonly [cidr: string, reason: string])[]): readonly Block[] {
	return entries.map(([cidr, reason]) => [ipaddr.parseCIDR(cidr), reason]);
}

/** The reason of the first block that holds `address` (blocks of the other family never do). */
function blockReason(address: ipaddr.IPv4 | ipaddr.IPv6, blocks: readonly Block[]): string | undefined {
	return blocks.find(([range]) => range[0].kind() === address.kind() && address.match(range))?.[1];
}

// --- Parsing -----------------------------------------------------------------------------------

/**
 * The address in `text`, or null unless it is a strict literal: a dotted quad without leading
 * zeros, or IPv6 without a zone id whose embedded IPv4 part, if any, is such a dotted quad.
 * ipaddr.js alone would also take inet_aton's forms (`8.8.8`, `0x8.8.8.8`, octal `010.8.8.8`),
 * which a URL parser has already normalised and a DNS answer never contains; refusing them
 * keeps one reading of every address we allow.
 */
function parseStrict(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
	if (!text.includes(':')) {
		return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : null;
	}
	// A zone id (`fe80::1%eth0`) names an interface of this machine, never an internet host.
	if (text.includes('%')) return null;
	const hex = embeddedIpv4AsHex(text);
	return hex !== null && ipaddr.IPv6.isValid(hex) ? ipaddr.IPv6.parse(hex) : null;
}

/**
 * `text` with a trailing dotted-quad IPv4 part written as two hex groups (`::ffff:127.0.0.1` to
 * `::ffff:7f00:1`), or null when that part is not a strict dotted quad. Done before ipaddr.js
 * sees the text because it reads `::127.0.0.1` as the IPv4-mapped `::ffff:7f00:1`, where
 * RFC 4291 §2.5.5.1 means the deprecated IPv4-compatible `::7f00:1` (reserved), and because it
 * takes hex and octal octets there.
 */
function embeddedIpv4AsHex(text: string): string | null {
	if (!text.includes('.')) return text;
	const cut = text.lastIndexOf(':');
	const tail = text.slice(cut + 1);
	if (!ipaddr.IPv4.isValidFourPartDecimal(tail)) return null;
	const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(tail).octets;
	return `${text.slice(0, cut + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}
