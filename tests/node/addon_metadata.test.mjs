// A unit spreadsheet copied from the organiser's template: the add-on reads its settings
// from the spreadsheet's developer metadata written by `thidua provision`, with Script
// Properties as the fallback; switching the automatic check on pings the service.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadAddon, expectedSignature, parseSignature } from './apps_script_env.mjs';

const URL = 'https://thidua.laichau.example.vn';
const KEY = 'khoa-rieng-cua-don-vi';

test('settings come from developer metadata when there are no Script Properties', () => {
  const { context, rec } = loadAddon({
    properties: {},
    metadata: { THIDUA_URL: URL + '/', THIDUA_UNIT_KEY: KEY },
  });
  const result = context.menuCheckNow();
  assert.equal(result.sent, true);
  assert.equal(rec.requests.length, 1);
  const request = rec.requests[0];
  assert.equal(request.url, URL + '/hooks/sheets');
  const sig = parseSignature(request.headers['X-Thidua-Signature']);
  assert.equal(sig.v1, expectedSignature(KEY, sig.t, request.payload));
});

test('developer metadata wins over Script Properties; Script Properties remain the fallback', () => {
  const both = loadAddon({
    properties: { THIDUA_URL: 'https://cu.example.vn', THIDUA_UNIT_KEY: 'khoa-cu' },
    metadata: { THIDUA_URL: URL },
  });
  both.context.menuCheckNow();
  assert.equal(both.rec.requests[0].url, URL + '/hooks/sheets');
  const sig = parseSignature(both.rec.requests[0].headers['X-Thidua-Signature']);
  assert.equal(sig.v1, expectedSignature('khoa-cu', sig.t, both.rec.requests[0].payload));

  const none = loadAddon({ properties: {}, metadata: {} });
  const result = none.context.menuCheckNow();
  assert.equal(result.sent, false);
  assert.equal(result.reason, 'config');
  assert.equal(none.rec.requests.length, 0);
});

test('Bật kiểm tra tự động pings the service quietly', () => {
  const { context, rec } = loadAddon({ properties: {}, metadata: { THIDUA_URL: URL, THIDUA_UNIT_KEY: KEY } });
  context.menuEnableAutoCheck();
  const pings = rec.requests.filter((r) => JSON.parse(r.payload).event === 'ping');
  assert.equal(pings.length, 1);
  assert.equal(pings[0].url, URL + '/hooks/sheets');
  // one toast: the triggers' confirmation, not the ping
  assert.equal(rec.toasts.length, 1);
  assert.match(rec.toasts[0].message, /Đã bật kiểm tra tự động/);
});

test('a key rotated by provisioning (metadata) wins over the old Script Property', () => {
  const { context, rec } = loadAddon({
    properties: { THIDUA_URL: URL, THIDUA_UNIT_KEY: 'khoa-cu-da-thu-hoi' },
    metadata: { THIDUA_UNIT_KEY: KEY },
  });
  assert.equal(context.menuCheckNow().sent, true);
  const request = rec.requests[0];
  assert.equal(request.url, URL + '/hooks/sheets'); // the URL from Script Properties
  const sig = parseSignature(request.headers['X-Thidua-Signature']);
  assert.equal(sig.v1, expectedSignature(KEY, sig.t, request.payload));
});

test('a blank metadata value falls back to the Script Property', () => {
  const { context, rec } = loadAddon({
    properties: { THIDUA_URL: URL, THIDUA_UNIT_KEY: 'khoa-trong-thuoc-tinh' },
    metadata: { THIDUA_URL: '  ', THIDUA_UNIT_KEY: '' },
  });
  context.menuCheckNow();
  const sig = parseSignature(rec.requests[0].headers['X-Thidua-Signature']);
  assert.equal(rec.requests[0].url, URL + '/hooks/sheets');
  assert.equal(sig.v1, expectedSignature('khoa-trong-thuoc-tinh', sig.t, rec.requests[0].payload));
});

test('unreadable metadata: Script Properties are used and the reason is logged', () => {
  const { context, rec } = loadAddon({
    properties: { THIDUA_URL: URL, THIDUA_UNIT_KEY: 'khoa-thuoc-tinh' },
    metadata: { THIDUA_UNIT_KEY: KEY },
    metadataError: 'Service Spreadsheets failed while accessing document',
  });
  assert.equal(context.menuCheckNow().sent, true);
  const sig = parseSignature(rec.requests[0].headers['X-Thidua-Signature']);
  assert.equal(sig.v1, expectedSignature('khoa-thuoc-tinh', sig.t, rec.requests[0].payload));
  assert.ok(rec.logs.some(([level, text]) => level === 'warn' && /developer metadata/.test(text)));
});

test('the status sidebar signs with the metadata key too', () => {
  const { context, rec } = loadAddon({
    properties: {},
    metadata: { THIDUA_URL: URL, THIDUA_UNIT_KEY: KEY },
    respond: () => ({ status: 200, body: { unit: 'DV1', forms: [] } }),
  });
  const answer = context.getStatus();
  assert.equal(answer.ok, true);
  const request = rec.requests[0];
  assert.match(request.url, new RegExp('^' + URL + '/api/units/'));
  const path = request.url.slice(URL.length);
  const sig = parseSignature(request.headers['X-Thidua-Signature']);
  assert.equal(sig.v1, expectedSignature(KEY, sig.t, '', 'GET', path));
});
