// node insufficient.mjs URL TOKEN
//
// Connects with a token that lacks the files:read scope and calls read_file:
// the server answers 403 with an insufficient_scope challenge. Prints the
// error the SDK raised and the answers the client received, as JSON.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { args, describeError, print, recordingFetch } from './record.mjs';

const [url, token] = args('insufficient.mjs URL TOKEN', 2);
const rec = recordingFetch();
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: 'Bearer ' + token } },
  fetch: rec.fetch,
});
const client = new Client({ name: 'toolgate-e2e-ts', version: '1.0.0' });
const out = { requests: rec.requests };
try {
  await client.connect(transport);
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  try {
    const res = await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } });
    out.result = res;
    out.error = null;
  } catch (err) {
    out.error = describeError(err);
  }
  await transport.terminateSession();
  await client.close();
  print(out);
} catch (err) {
  out.setupError = describeError(err);
  print(out, false);
}
