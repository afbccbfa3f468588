// What a person does in a browser between the SDK's redirectToAuthorization
// and its finishAuth, done over plain HTTP: open the consent page, sign in,
// tick some scopes, approve, and follow the 303 to the client's loopback
// redirect URI, where a small server takes the code.
import { createServer } from 'node:http';

// callbackServer listens on a loopback port for the authorization
// response; next() waits for the next one.
export async function callbackServer() {
  const waiting = [];
  const arrived = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('You can close this window.\n');
    const params = Object.fromEntries(u.searchParams);
    const w = waiting.shift();
    if (w) {
      w(params);
    } else {
      arrived.push(params);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/callback`,
    next: () => (arrived.length > 0 ? Promise.resolve(arrived.shift()) : new Promise((resolve) => waiting.push(resolve))),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const text = (html, id) => {
  const m = html.match(new RegExp(`id="${id}"[^>]*>([^<]*)<`));
  return m ? decode(m[1]) : null;
};
const decode = (s) => s.replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// consent answers the consent page at authorizationUrl as username,
// granting the scopes in grant (all the page offers when grant is null),
// and returns what it saw, including the parameters the client's redirect
// URI received.
export async function consent(authorizationUrl, callback, username, password, grant) {
  const seen = { request: Object.fromEntries(authorizationUrl.searchParams) };
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  const html = await page.text();
  seen.pageStatus = page.status;
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]);
  seen.cookies = cookies.map((c) => c.split('=')[0]);
  seen.page = {
    clientName: text(html, 'client-name'),
    clientId: text(html, 'client-id'),
    redirectHost: text(html, 'redirect-host'),
    resource: text(html, 'resource'),
    form: /<form id="consent-form" method="post"/.test(html),
    scopes: [...html.matchAll(/<input type="checkbox" id="([^"]+)" name="scope" value="([^"]+)"( checked)?>/g)].map((m) => ({
      id: m[1],
      name: decode(m[2]),
      checked: m[3] !== undefined,
    })),
  };
  const hidden = Object.fromEntries([...html.matchAll(/name="(request_id|csrf_token)" id="[a-z_]+" value="([^"]*)"/g)].map((m) => [m[1], decode(m[2])]));
  const form = new URLSearchParams({ ...hidden, username, password, action: 'approve' });
  for (const s of grant ?? seen.page.scopes.map((s) => s.name)) {
    form.append('scope', s);
  }
  const action = new URL(html.match(/<form id="consent-form" method="post" action="([^"]*)"/)?.[1] ?? '', authorizationUrl);
  const answer = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
    body: form,
  });
  seen.answerStatus = answer.status;
  const location = answer.headers.get('location');
  if (answer.status !== 303 || location === null) {
    seen.answerBody = (await answer.text()).slice(0, 2000);
    return seen;
  }
  await answer.body?.cancel();
  const to = new URL(location);
  seen.redirectedTo = to.origin + to.pathname;
  const [params] = await Promise.all([callback.next(), fetch(to).then((r) => r.text())]);
  seen.callback = { ...params, code: params.code === undefined ? null : '(present)' };
  seen.code = params.code ?? null;
  return seen;
}
