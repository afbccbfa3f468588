// A fetch that records every request the SDK makes and the answer it got,
// for the end-to-end tests to assert on. It never records a token: only
// whether an Authorization header was sent.
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

// bearerClient is the official client with a fixed bearer token, on a
// recording fetch; connect it with client.connect(transport). options are
// the Client's, such as the capabilities it declares.
export function bearerClient(url, token, options) {
  const rec = recordingFetch();
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: 'Bearer ' + token } },
    fetch: rec.fetch,
  });
  const client = new Client({ name: 'toolgate-e2e-ts', version: '1.0.0' }, options);
  return { rec, transport, client };
}

export function recordingFetch() {
  const requests = [];
  const recorded = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const sent = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const entry = { method, url, authorization: sent.has('authorization') };
    requests.push(entry);
    let response;
    try {
      response = await fetch(input, init);
    } catch (err) {
      entry.error = String(err);
      throw err;
    }
    entry.status = response.status;
    const challenge = response.headers.get('www-authenticate');
    if (challenge !== null) {
      entry.wwwAuthenticate = challenge;
      // What the SDK itself reads from the challenge.
      const p = extractWWWAuthenticateParams(response);
      entry.parsed = {
        resourceMetadataUrl: p.resourceMetadataUrl?.href ?? null,
        scope: p.scope ?? null,
        error: p.error ?? null,
      };
    }
    return response;
  };
  return { fetch: recorded, requests };
}

// describeError is an error as JSON: its class, message and, for the
// transport's errors, the HTTP status.
export function describeError(err) {
  if (err === undefined || err === null) {
    return null;
  }
  return {
    name: err.constructor?.name ?? typeof err,
    message: String(err.message ?? err),
    code: err.code ?? null,
  };
}

// print writes one JSON document on stdout and sets the exit code.
export function print(doc, ok = true) {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  process.exitCode = ok ? 0 : 1;
}

// args returns the command-line arguments, or exits with a usage line.
export function args(usage, count) {
  const a = process.argv.slice(2);
  if (a.length !== count) {
    process.stderr.write(`usage: node ${usage}\n`);
    process.exit(2);
  }
  return a;
}

// MemoryProvider is an OAuthClientProvider that keeps the client's state in
// memory and, instead of opening a browser, records the authorization URLs
// the SDK sends the user to (pending). Scripts extend it with their client
// metadata and what else they record.
export class MemoryProvider {
  constructor(redirectUrl) {
    this.redirect = redirectUrl;
    this.client = undefined;
    this.saved = undefined;
    this.verifier = undefined;
    this.discovery = undefined;
    this.pending = [];
  }
  get redirectUrl() {
    return this.redirect;
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
    this.pending.push(authorizationUrl);
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
