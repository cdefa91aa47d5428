/**
 * The Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): `# HELP` and
 * `# TYPE` once per family, then its samples, each `name{label="value",…} value`.
 */

/** The Content-Type Prometheus asks for and `promtool check metrics` expects. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One line of a family: its full sample name (`…_bucket`, `…_sum`, …), labels in order, value. */
export interface Sample {
	name: string;
	labels: readonly (readonly [string, string])[];
	value: number;
}

export interface MetricFamily {
	name: string;
	type: MetricType;
	help: string;
	samples: readonly Sample[];
}

/** Metric and label names: `[a-zA-Z_:][a-zA-Z0-9_:]*` and `[a-zA-Z_][a-zA-Z0-9_]*`. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
	return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed (a double quote stays as it is). */
export function escapeHelp(text: string): string {
	return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Go's ParseFloat reads it: `+Inf`, `-Inf`, `NaN`, or the number. */
export function formatValue(value: number): string {
	if (Number.isNaN(value)) return 'NaN';
	if (value === Number.POSITIVE_INFINITY) return '+Inf';
	if (value === Number.NEGATIVE_INFINITY) return '-Inf';
	return String(value);
}

function renderSample(sample: Sample): string {
	if (!METRIC_NAME.test(sample.name)) throw new Error(`Invalid metric name: ${sample.name}`);
	if (sample.labels.length === 0) return `${sample.name} ${formatValue(sample.value)}`;
	const labels = sample.labels.map(([name, value]) => {
		if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`Invalid label name: ${name}`);
		return `${name}="${escapeLabelValue(value)}"`;
	});
	return `${sample.name}{${labels.join(',')}} ${formatValue(sample.value)}`;
}

/** The whole exposition: families in the order given, each family's samples together. */
export function renderExposition(families: readonly MetricFamily[]): string {
	const lines: string[] = [];
	for (const family of families) {
		if (!METRIC_NAME.test(family.name)) throw new Error(`Invalid metric name: ${family.name}`);
		lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
		for (const sample of family.samples) lines.push(renderSample(sample));
	}
	return `${lines.join('\n')}\n`;
}
