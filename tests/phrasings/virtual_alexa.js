#!/usr/bin/env node
// Say each corpus utterance to the real skill server through virtual-alexa and report the request.
//
// Usage: node virtual_alexa.js --model FILE --locale en-US --url http://127.0.0.1:PORT/alexa [INPUT]
// INPUT (or stdin) holds JSON lines {"id": ..., "text": ...}; stdout gets one JSON line per
// utterance: {"id", "text", "type", "intent", "slots": {name: {value, id, name, status}},
// "launch_quirk", "unmatched", "error"}. What is reported is the request virtual-alexa SENT
// (seen through its request filter), so the figure measures the model, not the skill's answer.
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");

// The package lives in node/ next to this script (make corpus installs it with npm ci).
const nodeModules = path.join(__dirname, "node", "node_modules");
const { VirtualAlexa } = require(path.join(nodeModules, "virtual-alexa"));
const { Utterance } = require(path.join(nodeModules, "virtual-core"));

// virtual-alexa's utter() treats ANY text containing these words ("can you tell me", "a basket")
// as "open the skill" and sends a LaunchRequest; real Alexa only does that for the invocation.
// Our corpus is said after the invocation, so such texts are matched as utter() otherwise would.
const LAUNCH_WORDS = /(ask|open|launch|talk to|tell).*/i;

function parseArgs(argv) {
  const options = { locale: "en-US", input: null };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--model" || arg === "--locale" || arg === "--url") {
      options[arg.slice(2)] = argv[i + 1];
      i += 1;
    } else if (arg.startsWith("--")) {
      throw new Error(`unknown option ${arg}`);
    } else {
      options.input = arg;
    }
  }
  if (!options.model || !options.url) {
    throw new Error("--model and --url are required");
  }
  return options;
}

function slotsOf(request) {
  const slots = {};
  const intent = request.request.intent;
  if (!intent || !intent.slots) {
    return slots;
  }
  for (const [name, slot] of Object.entries(intent.slots)) {
    if (slot.value === undefined || slot.value === null || slot.value === "") {
      continue;
    }
    const entry = { value: String(slot.value), id: null, name: null, status: null };
    const authorities = (slot.resolutions && slot.resolutions.resolutionsPerAuthority) || [];
    if (authorities.length > 0) {
      entry.status = authorities[0].status ? authorities[0].status.code : null;
      const values = authorities[0].values || [];
      if (values.length > 0) {
        entry.id = values[0].value.id;
        entry.name = values[0].value.name;
      }
    }
    slots[name] = entry;
  }
  return slots;
}

async function say(alexa, text) {
  const result = { type: null, intent: null, slots: {}, launch_quirk: false, unmatched: false, error: null };
  let sent = null;
  alexa.filter((request) => {
    sent = request;
  });
  // Each utterance is a fresh session, so no answer's dialog state leaks into the next request.
  if (alexa.context().activeSession()) {
    alexa.context().endSession();
  }
  try {
    if (text !== "exit" && LAUNCH_WORDS.test(text)) {
      result.launch_quirk = true;
      const utterance = new Utterance(alexa.context().interactionModel(), text);
      if (!utterance.matched()) {
        throw new Error(`Unable to match utterance: ${text} to an intent.`);
      }
      await alexa.request().intent(utterance.intent()).slots(utterance.toJSON()).send();
    } else {
      await alexa.utter(text);
    }
  } catch (error) {
    const message = String((error && error.message) || error);
    if (sent === null && message.startsWith("Unable to match utterance")) {
      // Real Alexa sends AMAZON.FallbackIntent for what no sample covers.
      result.unmatched = true;
      result.intent = "AMAZON.FallbackIntent";
      result.type = "IntentRequest";
      return result;
    }
    result.error = message;
  }
  if (sent !== null) {
    result.type = sent.request.type;
    result.intent = sent.request.intent ? sent.request.intent.name : null;
    result.slots = slotsOf(sent);
  }
  return result;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const alexa = VirtualAlexa.Builder()
    .interactionModelFile(options.model)
    .locale(options.locale)
    .skillURL(options.url)
    .create();
  const input = options.input ? fs.createReadStream(options.input) : process.stdin;
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) {
      continue;
    }
    const item = JSON.parse(line);
    const result = await say(alexa, item.text);
    process.stdout.write(`${JSON.stringify({ id: item.id, text: item.text, ...result })}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`virtual_alexa.js: ${error.stack || error}\n`);
  process.exit(1);
});
