// A certified OpenID provider (npm oidc-provider) for the gateway's tests, configured by a JSON file:
//   node oidc-provider.mjs <config.json>
// {
//   "port": 0,                       // 0: any free port on 127.0.0.1
//   "keys": [ <private RSA JWK with kid>, ... ],   // the first signs; all are published in the JWKS
//   "tokenLifetimeSeconds": 3600,
//   "clients": [ { "clientId", "clientSecret", "authMethod": "client_secret_post" | "client_secret_basic",
//                  "resource": "<audience of its access tokens>", "scope": "ett.read ett.write" (optional),
//                  "roles": ["Ett.Read"] (optional) } ]
// }
// Client-credentials grant only; access tokens are RS256 JWTs for the client's resource (resource indicators), with
// the client's roles in `roles`. Prints one line "listening <issuer>" when ready; stops on SIGTERM or stdin's end.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const clients = config.clients;
const resources = new Map(clients.map((c) => [c.resource, new Set()]));
for (const c of clients) for (const s of (c.scope ?? '').split(' ').filter(Boolean)) resources.get(c.resource).add(s);
const clientOf = (id) => clients.find((c) => c.clientId === id);

// The issuer needs the port, so listen first and hand requests to the provider once it exists.
let handle = (_req, res) => { res.statusCode = 503; res.end(); };
const server = createServer((req, res) => handle(req, res));
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));

const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    client_id: c.clientId,
    client_secret: c.clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: c.authMethod ?? 'client_secret_post',
    ...(c.scope ? { scope: c.scope } : {}),
  })),
  jwks: { keys: config.keys },
  scopes: [...new Set([...resources.values()].flatMap((s) => [...s]))],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client) => clientOf(client.clientId).resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (!resources.has(resource)) throw new Error(`unknown resource ${resource}`);
        return {
          scope: [...resources.get(resource)].join(' '),
          audience: resource,
          accessTokenTTL: config.tokenLifetimeSeconds ?? 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: (ctx, token) => {
    const roles = clientOf(token.clientId)?.roles;
    return roles ? { roles } : undefined;
  },
});
provider.proxy = false;
handle = provider.callback();

process.stdout.write(`listening ${issuer}\n`);
const stop = () => { server.closeAllConnections(); server.close(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
