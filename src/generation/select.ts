/** Which model a request goes to (named, the default, or auto) and its parameters for it. */
import { configuredModels, defaultModel, findModel, type ModelEntry } from '../providers/catalog';
import { err, ok } from '../result';
import type { UrlBases } from '../storage/images';
import { type AutoOptions, selectAutoModel } from './auto';
import type { GenerationRequest, Resolution } from './request';
import { resolveForModel } from './resolve';

/**
 * Picks the model (named, default or auto) and applies its capabilities to the arguments.
 * `autoOptions` tells auto what it may know of the caller (the budget left).
 */
export function resolveGeneration(
	input: GenerationRequest,
	env: Env,
	configuredDefault: string | undefined,
	urls: UrlBases,
	autoOptions: AutoOptions = {},
): Resolution {
	const available = configuredModels(env);
	const names = available.map((entry) => entry.alias).join(', ');
	const requested = input.model?.trim() ?? '';
	if (requested.toLowerCase() === 'auto') {
		const auto = selectAutoModel(input, env, configuredDefault, urls, autoOptions);
		if (!auto.ok) return auto;
		const { reason, intent: _intent, ...value } = auto.value;
		return ok({ ...value, params: { ...value.params, auto_reason: reason } });
	}
	let entry: ModelEntry;
	if (requested === '' || requested === 'default') {
		entry = defaultModel(env, configuredDefault);
	} else {
		const found = findModel(env, requested);
		if (!found) return err(`model: unknown model "${requested}". Allowed models: ${names}, or "auto".`);
		if (!available.includes(found)) {
			return err(
				`model: "${found.alias}" is not configured in this deployment (it needs ${found.provider.configuredBy}). Allowed models: ${names}, or "auto".`,
			);
		}
		entry = found;
	}
	return resolveForModel(entry, input, available, urls);
}
