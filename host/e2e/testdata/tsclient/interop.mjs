// node interop.mjs URL TOKEN MARK_DIR
//
// Drives the official TypeScript SDK client through what Toolgate offers
// beyond tools/list and tools/call, over one session with a bearer token,
// against the probe plugin: progress, logs after logging/setLevel,
// cancelling a call with an AbortSignal, resources and a resource template,
// prompts, completion, a resource subscription, and answering the probe's
// elicitations. It prints what it saw as JSON; a step that fails records
// its error and the rest still run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CallToolResultSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { args, bearerClient, describeError, print } from './record.mjs';

const [url, token, markDir] = args('interop.mjs URL TOKEN MARK_DIR', 3);
// This client answers elicitations, so it declares the capability.
const { rec, transport, client } = bearerClient(url, token, { capabilities: { elicitation: {} } });

const out = { requests: rec.requests, steps: {} };
const logs = [];
const updated = [];
const elicitations = [];
client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated.push(n.params.uri));
client.setRequestHandler(ElicitRequestSchema, (req) => {
  elicitations.push(req.params.message);
  const props = Object.keys(req.params.requestedSchema?.properties ?? {});
  const content = props.includes('name') ? { name: 'Ada' } : { color: 'teal' };
  return { action: 'accept', content };
});

// step runs fn and records its result, or its error, under name.
async function step(name, fn) {
  try {
    out.steps[name] = { result: (await fn()) ?? null };
  } catch (err) {
    out.steps[name] = { error: describeError(err) };
  }
}

// waitFor polls until cond holds or ms pass; it returns whether it held.
async function waitFor(cond, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
    if (cond()) return true;
  }
  return cond();
}

try {
  await client.connect(transport);
  out.protocolVersion = transport.protocolVersion ?? null;
  out.hadSession = transport.sessionId !== undefined;

  await step('progress and logs', async () => {
    await client.setLoggingLevel('alert');
    const progress = [];
    const res = await client.callTool({ name: 'stream', arguments: { steps: 3 } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p),
    });
    // Logs may be handled just after the result.
    await waitFor(() => logs.length >= 6, 5000);
    return { progress, logs: logs.slice(), content: res.content, isError: res.isError ?? false };
  });

  await step('cancel', async () => {
    const mark = 'ts-cancel';
    const ac = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { seconds: 60, mark } }, CallToolResultSchema, { signal: ac.signal });
    const started = await waitFor(() => existsSync(join(markDir, mark + '.started')), 10000);
    ac.abort('the user gave up');
    let err = null;
    try {
      await call;
    } catch (e) {
      err = describeError(e);
    }
    return { started, callError: err };
  });

  await step('resources', async () => {
    const list = await client.listResources();
    const templates = await client.listResourceTemplates();
    const text = await client.readResource({ uri: 'probe://static.txt' });
    const item = await client.readResource({ uri: 'probe://items/42' });
    let missing = null;
    try {
      await client.readResource({ uri: 'probe://items/missing' });
    } catch (e) {
      missing = describeError(e);
    }
    return {
      resources: list.resources.map((r) => r.uri),
      templates: templates.resourceTemplates.map((t) => t.uriTemplate),
      text: text.contents,
      item: item.contents,
      missing,
    };
  });

  await step('prompts', async () => {
    const list = await client.listPrompts();
    const got = await client.getPrompt({ name: 'probe_prompt', arguments: { text: 'hello', tone: 'calm' } });
    return { prompts: list.prompts, got };
  });

  await step('complete', async () => {
    const tone = await client.complete({ ref: { type: 'ref/prompt', name: 'probe_prompt' }, argument: { name: 'tone', value: 'c' } });
    const id = await client.complete({
      ref: { type: 'ref/resource', uri: 'probe://items/{id}' },
      argument: { name: 'id', value: '12' },
    });
    return { tone: tone.completion.values, id: id.completion.values };
  });

  await step('subscribe', async () => {
    await client.subscribeResource({ uri: 'probe://static.txt' });
    await client.callTool({ name: 'touch', arguments: { uri: 'probe://items/1' } });
    await client.callTool({ name: 'touch', arguments: { uri: 'probe://static.txt' } });
    await waitFor(() => updated.length > 0, 5000);
    // An unsubscribed resource never arrives; wait a little so a late
    // one would show.
    await sleep(200);
    return { updated: updated.slice() };
  });

  await step('elicitation', async () => {
    const res = await client.callTool({ name: 'ask', arguments: { greeting: 'Hello' } });
    return { elicitations: elicitations.slice(), structuredContent: res.structuredContent ?? null, isError: res.isError ?? false };
  });

  await transport.terminateSession();
  await client.close();
  print(out);
} catch (err) {
  out.error = describeError(err);
  print(out, false);
}
