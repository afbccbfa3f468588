// node insufficient.mjs URL TOKEN
//
// Connects with a token that lacks the files:read scope and calls read_file:
// the server answers 403 with an insufficient_scope challenge. Prints the
// error the SDK raised and the answers the client received, as JSON.
import { args, bearerClient, describeError, print } from './record.mjs';

const [url, token] = args('insufficient.mjs URL TOKEN', 2);
const { rec, transport, client } = bearerClient(url, token);
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
