/**
 * One success-or-failure type for every fallible step that is not an exception: parsing,
 * resolution, admission, job creation. A failure is an expected outcome with something to say
 * (a message, a refusal), never an unexpected error; those are thrown.
 */
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E> = { readonly ok: false; readonly error: E };
export type Result<T, E = string> = Ok<T> | Err<E>;

export function ok<T>(value: T): Ok<T>;
export function ok(): Ok<undefined>;
export function ok<T>(value?: T): Ok<T | undefined> {
	return { ok: true, value };
}

export function err<E>(error: E): Err<E> {
	return { ok: false, error };
}
