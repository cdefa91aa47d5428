/** The drizzle client over the D1 binding, typed by the schema. */
import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

/** A drizzle handle over the D1 binding; cheap, so made per request or per batch. */
export function getDb(env: Pick<Env, 'DB'>) {
	return drizzle(env.DB, { schema });
}

export type Db = ReturnType<typeof getDb>;
