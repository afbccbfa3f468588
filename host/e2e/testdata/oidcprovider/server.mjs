// An OpenID Certified authorization server (oidc-provider) for the
// end-to-end tests of Toolgate as a resource server.
//
//   node server.mjs PORT RESOURCE KEY_FILE [KEY_FILE...]
//
// It listens on 127.0.0.1:PORT as the issuer http://127.0.0.1:PORT and
// signs with the private JWKs in the key files: every new token with the
// first of them that fits its algorithm (RS256 unless the client's profile
// says otherwise). Its JWKS lists them all in that order, so restarting it
// with a new key first is a key rotation. RESOURCE is Toolgate's canonical URL, the
// RFC 8707 resource indicator its tokens are issued for.
//
// Everything lives in memory: a restart forgets every token it issued.
//
// What it offers, all at the paths its discovery document names:
// client credentials with resource indicators, JWT access tokens (RFC 9068)
// or opaque ones, RFC 7662 introspection, RFC 7009 revocation and open
// RFC 7591 dynamic client registration.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const [port, resource, ...keyFiles] = process.argv.slice(2);
if (!/^\d+$/.test(port ?? '') || !resource || keyFiles.length === 0) {
  console.error('usage: node server.mjs PORT RESOURCE KEY_FILE [KEY_FILE...]');
  process.exit(2);
}

const issuer = `http://127.0.0.1:${port}`;

// Another protected resource, whose tokens Toolgate must refuse.
const otherResource = 'https://other.example/api';

// The scopes both resources know: those of Toolgate's shipped plugins.
const resourceScopes = 'tools:echo files:read';

// The clients the tests use. Each gets tokens of one format, lifetime
// (seconds) and, for JWTs, signing algorithm, so a test picks the kind of
// token by the client it asks as. Clients registered dynamically get RS256
// JWTs valid for an hour.
const profiles = {
  'jwt-client': { format: 'jwt', ttl: 3600 },
  'opaque-client': { format: 'opaque', ttl: 3600 },
  'brief-jwt-client': { format: 'jwt', ttl: 1 },
  'brief-opaque-client': { format: 'opaque', ttl: 1 },
  'es256-client': { format: 'jwt', ttl: 3600, alg: 'ES256' },
  'ps256-client': { format: 'jwt', ttl: 3600, alg: 'PS256' },
};
const secret = (id) => `${id}-secret`;

const clients = [
  ...Object.keys(profiles).map((id) => ({
    client_id: id,
    client_secret: secret(id),
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  // Toolgate itself, as the resource server that introspects tokens.
  {
    client_id: 'toolgate',
    client_secret: secret('toolgate'),
    grant_types: [],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

const keys = keyFiles.map((f) => JSON.parse(readFileSync(f, 'utf8')));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys },
  cookies: { keys: ['e2e-cookie-key-not-a-secret'] },
  // A token lives as long as its client's profile says.
  ttl: {
    ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // Only Toolgate, the resource server, may introspect; a client may
    // revoke only its own tokens.
    introspection: {
      enabled: true,
      allowedPolicy: (ctx, client) => client.clientId === 'toolgate',
    },
    revocation: {
      enabled: true,
      allowedPolicy: (ctx, client, token) => client.clientId === token.clientId,
    },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo(ctx, indicator, client) {
        if (indicator !== resource && indicator !== otherResource) {
          throw new Provider.errors.InvalidTarget();
        }
        const profile = profiles[client.clientId] ?? { format: 'jwt', ttl: 3600 };
        return {
          scope: resourceScopes,
          audience: indicator,
          accessTokenFormat: profile.format,
          accessTokenTTL: profile.ttl,
          ...(profile.alg ? { jwt: { sign: { alg: profile.alg } } } : {}),
        };
      },
    },
  },
});

// Log each request and each server error, for the test log.
provider.use(async (ctx, next) => {
  await next();
  console.log(`${ctx.method} ${ctx.path} ${ctx.status}`);
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message, err.error_description ?? ''));
provider.on('introspection.error', (ctx, err) => console.error('introspection.error', err.message, err.error_description ?? ''));

const server = createServer(provider.callback());
server.on('error', (err) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
  process.exit(3);
});
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening as ${issuer} with keys ${keys.map((k) => k.kid).join(', ')}`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
