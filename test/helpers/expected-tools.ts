/** The tools a client must see, in order: the seed's six first, then ours. */
export const EXPECTED_TOOLS = [
	'generate_image',
	'get_job_status',
	'list_generations',
	'list_jobs',
	'wait_for_completion',
	'generate_image_and_wait',
	'list_models',
	'cancel_job',
	'delete_image',
	'get_usage',
	'generate_variations',
	'save_style',
	'list_styles',
	'get_style',
	'delete_style',
	'set_preferences',
	'get_preferences',
	'browse_gallery',
	'get_image',
	// App-only (MCP Apps views call them; hosts hide them from the model), listed all the same.
	'gallery_page',
	'view_image',
	// For everyone again.
	'get_server_info',
] as const;
