/** Timings and limits of the legacy SSE transport (docs/transports.md explains them). */

/** A session whose stream has not refreshed it for this long is dead. */
export const SESSION_LIVE_WINDOW_MS = 60_000;
/** How often a stream refreshes its session row. */
export const SESSION_TOUCH_MS = 20_000;
/** Undelivered outbox rows expire after this long. */
export const OUTBOX_TTL_MS = 5 * 60_000;
/** Outbox polling: fast right after traffic, backing off to at most this when idle. */
export const OUTBOX_POLL_MIN_MS = 10;
export const OUTBOX_POLL_MAX_MS = 250;
/** How often a stream drains its same-isolate mailbox. */
export const MAILBOX_CHECK_MS = 5;
/**
 * Wait tools on this transport return within this many seconds: the POST is answered at
 * once and the call runs on `waitUntil`, which Cloudflare stops 30 s after the response.
 */
export const SSE_MAX_WAIT_SECONDS = 25;
