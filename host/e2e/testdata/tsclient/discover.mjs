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
import { args, describeError, print, recordingFetch } from './record.mjs';

const [url] = args('discover.mjs URL', 1);

// MemoryProvider keeps everything in memory and never opens a browser.
class MemoryProvider {
  constructor() {
    this.client = undefined;
    this.saved = undefined;
    this.verifier = undefined;
    this.redirectedTo = [];
    this.discovery = undefined;
  }
  get redirectUrl() {
    return 'http://127.0.0.1:1/callback';
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
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(authorizationUrl) {
    this.redirectedTo.push(authorizationUrl.href);
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    if (this.verifier === undefined) {
      throw new Error('no code verifier saved');
    }
    return this.verifier;
  }
  saveDiscoveryState(state) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}

const rec = recordingFetch();
const provider = new MemoryProvider();
const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: rec.fetch });
const client = new Client({ name: 'toolgate-e2e-ts', version: '1.0.0' });
const out = { requests: rec.requests };
try {
  await client.connect(transport);
  out.error = null;
} catch (err) {
  out.error = describeError(err);
}
out.redirectedTo = provider.redirectedTo;
out.registeredClient = provider.client !== undefined;
out.gotTokens = provider.saved !== undefined;
await client.close().catch(() => {});
print(out);
