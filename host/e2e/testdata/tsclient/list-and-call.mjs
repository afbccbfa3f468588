// node list-and-call.mjs URL TOKEN
//
// Connects the official TypeScript SDK client to Toolgate with a bearer
// token, lists the tools, calls echo, ends the session, and prints what it
// saw as JSON.
import { args, bearerClient, describeError, print } from './record.mjs';

const [url, token] = args('list-and-call.mjs URL TOKEN', 2);
const { rec, transport, client } = bearerClient(url, token);
const out = { requests: rec.requests };
try {
  await client.connect(transport);
  out.protocolVersion = transport.protocolVersion ?? null;
  out.serverInfo = client.getServerVersion() ?? null;
  out.hadSession = transport.sessionId !== undefined;
  const list = await client.listTools();
  out.tools = list.tools.map((t) => ({ name: t.name, meta: t._meta ?? null }));
  const echo = await client.callTool({ name: 'echo', arguments: { message: 'from ts', repeat_count: 2 } });
  out.echo = { isError: echo.isError ?? false, structuredContent: echo.structuredContent ?? null, content: echo.content };
  await transport.terminateSession();
  out.sessionAfterDelete = transport.sessionId ?? null;
  await client.close();
  print(out);
} catch (err) {
  out.error = describeError(err);
  print(out, false);
}
