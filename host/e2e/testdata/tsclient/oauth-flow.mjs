// node oauth-flow.mjs URL USERNAME PASSWORD FIRST_GRANT [CLIENT_METADATA_URL]
//
// Connects without a token through the SDK's OAuth client provider path,
// against Toolgate's own authorization server: the 401 leads the SDK to
// the protected resource metadata and the authorization server metadata;
// it registers (RFC 7591), or, given CLIENT_METADATA_URL, uses that URL as
// its client id (a Client ID Metadata Document); it sends the user to
// authorize with PKCE, state and resource. consent.mjs then answers the
// consent page as USERNAME, granting only the space-separated FIRST_GRANT,
// and hands the code to finishAuth. The client lists tools and calls echo,
// then read_file, which needs a scope not granted: the 403
// insufficient_scope challenge makes the SDK authorize again for the
// challenged scopes, granted in full this time, and the call succeeds.
// Prints what happened as JSON; no token or code is printed.
//
// The provider keeps no refresh token: with one, this SDK version answers a
// 403 by refreshing, which cannot widen a grant (RFC 6749 §6), and gives up
// when the same 403 comes back (typescript-sdk issue 2255).
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callbackServer, consent } from './consent.mjs';
import { MemoryProvider, describeError, print, recordingFetch } from './record.mjs';

const argv = process.argv.slice(2);
if (argv.length !== 4 && argv.length !== 5) {
  process.stderr.write('usage: node oauth-flow.mjs URL USERNAME PASSWORD FIRST_GRANT [CLIENT_METADATA_URL]\n');
  process.exit(2);
}
const [url, username, password, firstGrant, clientMetadataUrl] = argv;

// Provider records the states it made and the tokens it received, and
// keeps no refresh token (see above).
class Provider extends MemoryProvider {
  constructor(redirectUrl) {
    super(redirectUrl);
    this.states = [];
    this.received = [];
    if (clientMetadataUrl !== undefined) {
      this.clientMetadataUrl = clientMetadataUrl;
    }
  }
  get clientMetadata() {
    return {
      client_name: 'Toolgate TypeScript E2E',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    const s = crypto.randomUUID();
    this.states.push(s);
    return s;
  }
  saveTokens(tokens) {
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
    this.received.push({ scope: tokens.scope ?? null, tokenType: tokens.token_type, hadRefreshToken: tokens.refresh_token !== undefined, claims });
    const { refresh_token: _, ...kept } = tokens;
    this.saved = kept;
  }
}

const callback = await callbackServer();
const rec = recordingFetch();
const provider = new Provider(callback.url);
const out = { requests: rec.requests, redirectUrl: callback.url, authorizations: [], tokens: provider.received, states: provider.states };
const connectClient = async () => {
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: rec.fetch });
  const client = new Client({ name: 'toolgate-e2e-ts', version: '1.0.0' });
  await client.connect(transport);
  return { transport, client };
};

// authorizeAs answers the authorization the SDK asked for, after it raised
// err, and hands the code to the transport.
const authorizeAs = async (err, transport, grant) => {
  if (!(err instanceof UnauthorizedError) || provider.pending.length !== 1) {
    throw err;
  }
  const { code, ...seen } = await consent(provider.pending.shift(), callback, username, password, grant);
  out.authorizations.push(seen);
  if (code === null) {
    throw new Error('the consent page did not send a code to the client: ' + JSON.stringify(seen));
  }
  await transport.finishAuth(code);
};

const result = (r) => ({ isError: r.isError ?? false, text: r.content.filter((c) => c.type === 'text').map((c) => c.text).join('') });
try {
  // The first connection is refused and ends at the authorization.
  const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: rec.fetch });
  try {
    await new Client({ name: 'toolgate-e2e-ts', version: '1.0.0' }).connect(first);
    throw new Error('connected without authorization');
  } catch (err) {
    out.firstError = describeError(err);
    await authorizeAs(err, first, firstGrant.split(' ').filter(Boolean));
  }
  out.clientId = provider.client?.client_id ?? null;

  const { transport, client } = await connectClient();
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  out.echo = result(await client.callTool({ name: 'echo', arguments: { message: 'through oauth' } }));
  try {
    out.readFile = result(await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } }));
  } catch (err) {
    out.stepUpError = describeError(err);
    await authorizeAs(err, transport, null);
    out.readFile = result(await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } }));
  }
  out.toolsAfter = (await client.listTools()).tools.map((t) => t.name);
  await transport.terminateSession();
  await client.close();
  print(out);
} catch (err) {
  out.error = describeError(err);
  out.stack = err?.stack ?? null;
  print(out, false);
} finally {
  await callback.close();
}
