/** Requests whose caller the entry point already recognised by a configured bearer token. */
import type { Principal } from '../tools/context';

export const preAuthenticated = new WeakMap<Request, Principal>();
