// tests/oidc/provider.mjs - the OpenID provider Kiln's OIDC tests run
// against (tests/blackbox/test_auth_oidc.py): the npm package
// oidc-provider (pinned by package-lock.json) on 127.0.0.1.
//
//   node provider.mjs PORT STATE_DIR [--rotate] [--jwks-max-age S]
//                     [--jwks-delay MS]
//
// STATE_DIR holds keys.json (the private signing keys, the first one signs;
// made on the first start, and --rotate puts a new key first while keeping
// the old ones published) and accounts.json ({"alice": {"email", "name",
// "roles": [...]}}, read on every token, so a test changes a user by
// rewriting it). Prints "ready" once it listens. --jwks-max-age S sends
// Cache-Control: max-age=S with the key set (none by default);
// --jwks-delay MS answers the key set after a pause.
//
// The issuer is http://127.0.0.1:PORT. Client "kiln-app" (secret
// "kiln-secret") may use the code flow with PKCE, refresh tokens and client
// credentials; access tokens for the resource "https://api.kiln.test" are
// JWTs (RS256) whose aud is that resource. Accounts' email, name and
// realm_access.roles go into the access tokens (extraTokenClaims).
//
// Client "kiln-spa" is public (no secret: a single-page app with
// oidc-client-ts, tests/browser/test_oidc_spa.py), the code flow with PKCE;
// its access tokens are the same JWTs.
//
// The environment: KILN_REDIRECT_URIS and KILN_LOGOUT_URIS (space-separated)
// are kiln-app's redirect URIs, KILN_SPA_REDIRECT_URIS kiln-spa's, KILN_AT_TTL the code flow's access token
// lifetime in seconds (600).
//
// Test endpoints (not OIDC):
//   GET  /test/token?sub=ID[&aud=A][&ttl=S]  an access token for account ID,
//        minted by the provider's own AccessToken model
//   POST /test/sign {"header": {...}, "payload": {...}}  a JWS signed with
//        the current signing key, header members as given (kid included
//        unless the header sets one): for crafted tokens (jku, x5u...)
//   GET  /test/stats  {"jwks": number of JWKS requests served}
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const dir = process.argv[3];
const rotate = process.argv.includes('--rotate');
const ageAt = process.argv.indexOf('--jwks-max-age');
const jwksMaxAge = ageAt > 0 ? Number(process.argv[ageAt + 1]) : 0;
const delayAt = process.argv.indexOf('--jwks-delay');
const jwksDelay = delayAt > 0 ? Number(process.argv[delayAt + 1]) : 0;
if (!port || !dir) {
  console.error('usage: node provider.mjs PORT STATE_DIR [--rotate]');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const AUD = 'https://api.kiln.test';

function newKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

const keysFile = path.join(dir, 'keys.json');
let keys = fs.existsSync(keysFile) ? JSON.parse(fs.readFileSync(keysFile, 'utf8')) : [];
if (keys.length === 0 || rotate) keys = [newKey(), ...keys];
fs.writeFileSync(keysFile, JSON.stringify(keys));

const accountsFile = path.join(dir, 'accounts.json');
function account(id) {
  try {
    return JSON.parse(fs.readFileSync(accountsFile, 'utf8'))[id];
  } catch {
    return undefined;
  }
}

function userClaims(id) {
  const a = account(id);
  if (!a) return {};
  const out = {};
  if (a.email) out.email = a.email;
  if (a.name) out.name = a.name;
  if (a.roles) out.realm_access = { roles: a.roles };
  return out;
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'kiln-app',
    client_secret: 'kiln-secret',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: (process.env.KILN_REDIRECT_URIS || 'http://127.0.0.1/callback').split(' '),
    post_logout_redirect_uris: (process.env.KILN_LOGOUT_URIS || 'http://127.0.0.1/').split(' '),
  }, {
    // a public client for a single-page app (oidc-client-ts): no secret,
    // the code flow with PKCE from the browser
    client_id: 'kiln-spa',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: (process.env.KILN_SPA_REDIRECT_URIS || 'http://127.0.0.1/spa').split(' '),
  }],
  jwks: { keys },
  async findAccount(ctx, id) {
    if (!account(id)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...userClaims(id) }; } };
  },
  claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'api'],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => AUD,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api', audience: AUD, accessTokenFormat: 'jwt',
        accessTokenTTL: Number(process.env.KILN_AT_TTL || 600),
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  async extraTokenClaims(ctx, token) {
    return token.accountId ? userClaims(token.accountId) : undefined;
  },
  pkce: { required: () => true },
  // the SPA's fetch to the token endpoint: allowed from the origins of
  // kiln-spa's redirect URIs only
  clientBasedCORS(ctx, origin, client) {
    return client.clientId === 'kiln-spa' &&
      client.redirectUris.some((u) => new URL(u).origin === origin);
  },
});
provider.proxy = false;

let jwksHits = 0;
provider.use(async (ctx, next) => {
  if (ctx.path === '/jwks') {
    jwksHits += 1;
    if (jwksDelay) await new Promise((resolve) => { setTimeout(resolve, jwksDelay); });
    await next();
    if (jwksMaxAge) ctx.set('Cache-Control', `max-age=${jwksMaxAge}`);
    return;
  }
  if (ctx.path === '/test/stats') {
    ctx.body = { jwks: jwksHits };
    return;
  }
  if (ctx.path === '/test/token') {
    const sub = ctx.query.sub;
    const client = await provider.Client.find('kiln-app');
    const at = new provider.AccessToken({
      accountId: sub,
      client,
      scope: 'api',
      expiresWithSession: false,
      extra: userClaims(sub),
      resourceServer: {
        scope: 'api', audience: ctx.query.aud || AUD, accessTokenFormat: 'jwt',
        accessTokenTTL: Number(ctx.query.ttl || 600), jwt: { sign: { alg: 'RS256' } },
      },
    });
    ctx.body = { access_token: await at.save(), kid: keys[0].kid };
    return;
  }
  if (ctx.path === '/test/sign' && ctx.method === 'POST') {
    let raw = '';
    for await (const chunk of ctx.req) raw += chunk;
    const { header, payload } = JSON.parse(raw);
    const key = await jose.importJWK(keys[0], 'RS256');
    const jws = await new jose.CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'RS256', kid: keys[0].kid, ...header })
      .sign(key);
    ctx.body = { token: jws };
    return;
  }
  await next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log('ready');
});
