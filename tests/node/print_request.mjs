// Prints, as JSON, the request Code.js sends for one edit event (used by
// tests/test_apps_script_signature.py to cross-check the signature with Python).
// Usage: node tests/node/print_request.mjs '<json options>'
//   options: {key, url, nowMs, spreadsheetId, sheet, range, email}
import { loadAddon, editEvent } from './apps_script_env.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const env = loadAddon({
  properties: { THIDUA_URL: opts.url ?? 'https://thidua.example.com', THIDUA_UNIT_KEY: opts.key },
  nowMs: opts.nowMs,
  spreadsheetId: opts.spreadsheetId,
  email: opts.email,
});
const result = env.context.onEditInstalled(editEvent(opts.sheet ?? 'Sheet1', opts.range ?? 'A1'));
if (env.rec.requests.length !== 1) {
  process.stderr.write('expected one request, got ' + env.rec.requests.length + ': ' + JSON.stringify(result) + '\n');
  process.exit(1);
}
const req = env.rec.requests[0];
process.stdout.write(
  JSON.stringify({
    url: req.url,
    method: req.method,
    contentType: req.contentType,
    muteHttpExceptions: req.muteHttpExceptions,
    headers: req.headers,
    payload: req.payload,
  }) + '\n',
);
