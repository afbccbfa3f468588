// node client-credentials.mjs URL ISSUER CLIENT_ID CLIENT_SECRET SCOPE
//
// Connects without a token through the SDK's ClientCredentialsProvider,
// which finds the authorization server from Toolgate's challenge and
// protected resource metadata and asks ISSUER for a token for Toolgate (RFC
// 8707 resource) with SCOPE, by the client credentials grant. Then it lists
// the tools, calls echo and read_file, and prints every request it made and
// what it got as JSON.
//
// The SDK asks for the provider's own scope in this grant, not the one a
// challenge names, so a 403 step-up cannot widen such a token.
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { args, describeError, print, recordingFetch } from './record.mjs';

const [url, issuer, clientId, clientSecret, scope] = args('client-credentials.mjs URL ISSUER CLIENT_ID CLIENT_SECRET SCOPE', 5);
const rec = recordingFetch();
const provider = new ClientCredentialsProvider({ clientId, clientSecret, scope, expectedIssuer: issuer });
const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: rec.fetch });
const client = new Client({ name: 'toolgate-e2e-ts', version: '1.0.0' });
const out = { requests: rec.requests };
const result = (r) => ({ isError: r.isError ?? false, text: r.content.filter((c) => c.type === 'text').map((c) => c.text).join('') });
try {
  await client.connect(transport);
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  out.echo = result(await client.callTool({ name: 'echo', arguments: { message: 'with client credentials' } }));
  out.readFile = result(await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } }));
  out.scope = provider.tokens()?.scope ?? null;
  await client.close();
  print(out);
} catch (err) {
  out.error = describeError(err);
  print(out, false);
}
