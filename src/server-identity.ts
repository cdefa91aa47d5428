/**
 * Who this server is: its MCP `serverInfo` (src/mcp/server.ts), the REST API's OpenAPI info,
 * `/health` for admins and get_server_info all report these. The version is package.json's,
 * so `npm version` changes it everywhere; the bundler inlines it at build time.
 */
import { version } from '../package.json';

export const SERVER_INFO = { name: 'image-mcp', title: 'Image generation MCP server', version } as const;
