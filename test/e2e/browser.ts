/// <reference types="node" />
/**
 * Headless Chromium for the browser tests: Debian's `chromium` (or CHROMIUM_PATH), driven by
 * playwright-core. `.ci/run` installs the package when it is missing.
 */
import { execFileSync } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';

function chromiumPath(): string {
	if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
	try {
		return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
			encoding: 'utf8',
		}).trim();
	} catch {
		throw new Error('The browser tests need Chromium: apt-get install -y chromium, or set CHROMIUM_PATH.');
	}
}

/** `--no-sandbox`: CI runs as root, where Chromium's own sandbox cannot start. */
export function launchChromium(): Promise<Browser> {
	return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}
