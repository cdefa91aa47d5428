/** The Hono app's environment: the bindings, and what the middleware puts on each request. */
import type { AppConfig } from '../env';
import type { Principal } from '../tools/context';

export type AppEnv = { Bindings: Env; Variables: { config: AppConfig; principal: Principal } };
