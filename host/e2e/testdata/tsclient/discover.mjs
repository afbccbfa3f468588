// node discover.mjs URL
//
// Connects without a token, through an OAuthClientProvider, and records how
// the SDK discovers where to get one: the 401 challenge, the protected
// resource metadata (RFC 9728), the authorization server metadata (RFC
// 8414). The local issuer has no authorization or registration endpoint, so
// the flow ends in an error; the requests and that error are printed as
// JSON.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryProvider, args, describeError, print, recordingFetch } from './record.mjs';

const [url] = args('discover.mjs URL', 1);

// DiscoveryProvider never opens a browser: it only records where the SDK
// would send the user.
class DiscoveryProvider extends MemoryProvider {
  constructor() {
    super('http://127.0.0.1:1/callback');
  }
  get clientMetadata() {
    return {
      client_name: 'toolgate-e2e-ts',
      redirect_uris: ['http://127.0.0.1:1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
}

const rec = recordingFetch();
const provider = new DiscoveryProvider();
const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: rec.fetch });
const client = new Client({ name: 'toolgate-e2e-ts', version: '1.0.0' });
const out = { requests: rec.requests };
try {
  await client.connect(transport);
  out.error = null;
} catch (err) {
  out.error = describeError(err);
}
out.redirectedTo = provider.pending.map((u) => u.href);
out.registeredClient = provider.client !== undefined;
out.gotTokens = provider.saved !== undefined;
await client.close().catch(() => {});
print(out);
