// Events sent by the add-on: the exact request, rate limiting, answers, configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { loadAddon, editEvent, expectedSignature, parseSignature } from './apps_script_env.mjs';

const KEY = 'tdk1_khoa-rieng-cua-don-vi';

function onlyRequest(rec) {
  assert.equal(rec.requests.length, 1, 'exactly one request expected');
  return rec.requests[0];
}

test('onEditInstalled POSTs the exact signed request for the edited range', () => {
  const env = loadAddon({ nowMs: 1_760_000_000_987 });
  const { context, rec } = env;
  context.onEditInstalled(editEvent('Đại biểu', 'C7:D9'));

  const req = onlyRequest(rec);
  assert.equal(req.url, 'https://thidua.example.com/hooks/sheets');
  assert.equal(req.method, 'post');
  assert.equal(req.contentType, 'application/json');
  assert.equal(req.muteHttpExceptions, true);
  assert.deepEqual(Object.keys(req.headers), ['X-Thidua-Signature']);

  const body = JSON.parse(req.payload);
  assert.deepEqual(Object.keys(body), ['spreadsheetId', 'sheet', 'range', 'user', 'event']);
  assert.equal(body.spreadsheetId, env.spreadsheetId);
  assert.equal(body.sheet, 'Đại biểu');
  assert.equal(body.range, 'C7:D9');
  assert.equal(body.user, 'can.bo@donvi.example.vn');
  assert.equal(body.event, 'edit');

  const sig = parseSignature(req.headers['X-Thidua-Signature']);
  assert.deepEqual(Object.keys(sig), ['t', 'v1']);
  assert.equal(sig.t, '1760000000'); // floor(Date.now() / 1000)
  assert.match(sig.v1, /^[0-9a-f]{64}$/);
  // signed: "<t>.POST./hooks/sheets." + body, with the unit's own key
  const mac = crypto
    .createHmac('sha256', KEY)
    .update(sig.t + '.POST./hooks/sheets.' + req.payload)
    .digest('hex');
  assert.equal(sig.v1, mac);
  // a different key, or the same key over another path, does not verify
  assert.notEqual(sig.v1, expectedSignature(KEY + 'x', sig.t, req.payload));
  assert.notEqual(sig.v1, expectedSignature(KEY, sig.t, req.payload, 'POST', '/api/units/x/submit'));
  // quiet on success for automatic events
  assert.deepEqual(rec.toasts, []);
});

test('user is "" when Session cannot reveal the e-mail', () => {
  const { context, rec } = loadAddon({ email: '' });
  context.onEditInstalled(editEvent('Sheet1', 'A2'));
  assert.equal(JSON.parse(onlyRequest(rec).payload).user, '');

  const other = loadAddon({ emailThrows: true });
  other.context.onEditInstalled(editEvent('Sheet1', 'A2'));
  assert.equal(JSON.parse(onlyRequest(other.rec).payload).user, '');
});

test('a trailing slash or a pasted /hooks/sheets in THIDUA_URL still gives one correct URL', () => {
  for (const url of ['https://svc.example.com/thidua/', 'https://svc.example.com/thidua/hooks/sheets']) {
    const { context, rec } = loadAddon({ properties: { THIDUA_URL: url, THIDUA_UNIT_KEY: 's' } });
    context.menuCheckNow();
    assert.equal(onlyRequest(rec).url, 'https://svc.example.com/thidua/hooks/sheets');
  }
});

test('edits less than 2 s after the previous automatic event are skipped, later ones sent', () => {
  const env = loadAddon();
  const { context, rec } = env;
  context.onEditInstalled(editEvent('Đại biểu', 'A2'));
  env.tick(1500);
  const skipped = context.onEditInstalled(editEvent('Đại biểu', 'A3'));
  assert.equal(skipped.reason, 'throttled');
  assert.equal(rec.requests.length, 1);
  env.tick(600); // 2.1 s after the first
  context.onEditInstalled(editEvent('Đại biểu', 'A4'));
  assert.equal(rec.requests.length, 2);
  assert.equal(JSON.parse(rec.requests[1].payload).range, 'A4');
});

test('manual check is never throttled', () => {
  const env = loadAddon();
  env.context.onEditInstalled(editEvent('Đại biểu', 'A2'));
  env.context.menuCheckNow();
  env.context.menuCheckNow();
  assert.equal(env.rec.requests.length, 3);
});

test('onChange sends "change" with range "" but ignores plain edits and formatting', () => {
  const env = loadAddon({ activeSheet: 'Đăng ký' });
  const { context, rec } = env;
  context.onChangeInstalled({ changeType: 'EDIT' });
  context.onChangeInstalled({ changeType: 'FORMAT' });
  assert.equal(rec.requests.length, 0);
  context.onChangeInstalled({ changeType: 'INSERT_ROW' });
  const body = JSON.parse(onlyRequest(rec).payload);
  assert.equal(body.event, 'change');
  assert.equal(body.range, '');
  assert.equal(body.sheet, 'Đăng ký');
});

test('Kiểm tra ngay sends "check" for the active sheet and toasts success', () => {
  const { context, rec } = loadAddon({ activeSheet: 'Khen thưởng' });
  const result = context.menuCheckNow();
  assert.equal(result.status, 202);
  const body = JSON.parse(onlyRequest(rec).payload);
  assert.equal(body.event, 'check');
  assert.equal(body.sheet, 'Khen thưởng');
  assert.equal(body.range, '');
  assert.equal(rec.toasts.length, 1);
  assert.match(rec.toasts[0].message, /^Đã gửi yêu cầu kiểm tra/);
});

test('Nộp báo cáo asks YES/NO in Vietnamese and sends nothing on NO', () => {
  const { context, rec } = loadAddon({ alertAnswer: 'NO' });
  const result = context.menuSubmit();
  assert.equal(result.sent, false);
  assert.equal(rec.alerts.length, 1);
  assert.equal(rec.alerts[0].buttons, 'YES_NO');
  assert.equal(rec.alerts[0].title, 'Nộp báo cáo');
  assert.match(rec.alerts[0].prompt, /chắc muốn nộp báo cáo/);
  assert.equal(rec.requests.length, 0);
  assert.match(rec.toasts[0].message, /Chưa nộp/);
});

test('Nộp báo cáo on YES sends exactly one "submit" event', () => {
  const { context, rec } = loadAddon({ alertAnswer: 'YES' });
  context.menuSubmit();
  assert.equal(JSON.parse(onlyRequest(rec).payload).event, 'submit');
  assert.match(rec.toasts.at(-1).message, /nộp báo cáo/);
});

const answers = [
  [401, /^Khoá của đơn vị \(THIDUA_UNIT_KEY\) không đúng hoặc đã được cấp lại: liên hệ đơn vị tổ chức/],
  [429, /^Gửi quá nhanh, thử lại sau ít giây/],
  [413, /quá lớn.*413/],
  [500, /Máy chủ kiểm tra đang gặp lỗi \(mã 500\)/],
  [503, /mã 503/],
  [404, /không nhận ra bảng tính này \(mã 404\)/],
  [302, /chuyển hướng.*THIDUA_URL/],
  [418, /mã 418/],
];
for (const [status, pattern] of answers) {
  test(`HTTP ${status} gives a Vietnamese toast for edits and manual checks`, () => {
    for (const run of [
      (c) => c.onEditInstalled(editEvent('Đại biểu', 'A2')),
      (c) => c.menuCheckNow(),
    ]) {
      const { context, rec } = loadAddon({ respond: () => ({ status, body: 'Traceback (most recent call last)' }) });
      const result = run(context);
      assert.equal(result.ok, false);
      assert.equal(rec.toasts.length, 1);
      assert.match(rec.toasts[0].message, pattern);
      assert.doesNotMatch(rec.toasts[0].message, /Traceback|Error|at /);
    }
  });
}

test('429 with Retry-After tells how many seconds to wait', () => {
  const { context, rec } = loadAddon({ respond: () => ({ status: 429, headers: { 'retry-after': '7' } }) });
  context.menuCheckNow();
  assert.match(rec.toasts[0].message, /khoảng 7 giây/);
});

test('a network exception gives a Vietnamese toast, never the raw error, and is logged', () => {
  const { context, rec } = loadAddon({
    respond: () => {
      throw new Error('Exception: DNS error: https://thidua.example.com/hooks/sheets\n    at sendEvent (Code:200)');
    },
  });
  const result = context.menuCheckNow();
  assert.equal(result.reason, 'exception');
  assert.equal(rec.toasts.length, 1);
  assert.match(rec.toasts[0].message, /^Không kết nối được tới máy chủ kiểm tra/);
  assert.doesNotMatch(rec.toasts[0].message, /DNS|Exception|Code:/);
  assert.ok(rec.logs.some(([level, text]) => level === 'error' && /DNS error/.test(text)));
});

test('missing unit key: the menu action alerts what to set and sends nothing', () => {
  const { context, rec } = loadAddon({ properties: { THIDUA_URL: 'https://thidua.example.com' } });
  context.menuCheckNow();
  assert.equal(rec.requests.length, 0);
  assert.equal(rec.alerts.length, 1);
  assert.match(rec.alerts[0].prompt, /THIDUA_UNIT_KEY/);
  assert.match(rec.alerts[0].prompt, /Script Properties/);
  assert.doesNotMatch(rec.alerts[0].prompt, /THIDUA_URL:/);
});

test('missing URL and unit key: both named in the alert; submit does not even ask', () => {
  const { context, rec } = loadAddon({ properties: {} });
  context.menuSubmit();
  assert.equal(rec.requests.length, 0);
  assert.equal(rec.alerts.length, 1);
  assert.notEqual(rec.alerts[0].buttons, 'YES_NO');
  assert.match(rec.alerts[0].prompt, /Chưa đặt THIDUA_URL/);
  assert.match(rec.alerts[0].prompt, /Chưa đặt THIDUA_UNIT_KEY/);
});

test('an invalid THIDUA_URL is reported, not fetched', () => {
  const { context, rec } = loadAddon({ properties: { THIDUA_URL: 'thidua.example.com', THIDUA_UNIT_KEY: 's' } });
  context.menuCheckNow();
  assert.equal(rec.requests.length, 0);
  assert.match(rec.alerts[0].prompt, /THIDUA_URL không hợp lệ/);
});

test('an http:// THIDUA_URL is refused with a message asking for https://', () => {
  const { context, rec } = loadAddon({ properties: { THIDUA_URL: 'http://thidua.example.com', THIDUA_UNIT_KEY: 's' } });
  context.menuCheckNow();
  assert.equal(rec.requests.length, 0);
  assert.match(rec.alerts[0].prompt, /THIDUA_URL không hợp lệ \("http:\/\/thidua\.example\.com"\): phải bắt đầu bằng https:\/\//);
});

test('a failing cache does not block automatic events', () => {
  const env = loadAddon();
  env.context.CacheService = {
    getDocumentCache: () => {
      throw new Error('Service invoked too many times');
    },
  };
  env.context.onEditInstalled(editEvent('Đại biểu', 'A2'));
  assert.equal(env.rec.requests.length, 1);
  assert.deepEqual(env.rec.toasts, []);
});

test('missing unit key in a trigger: a toast instead of a blocking dialog, nothing sent', () => {
  const { context, rec } = loadAddon({ properties: { THIDUA_URL: 'https://thidua.example.com' } });
  context.onEditInstalled(editEvent('Đại biểu', 'A2'));
  assert.equal(rec.requests.length, 0);
  assert.equal(rec.alerts.length, 0);
  assert.match(rec.toasts[0].message, /THIDUA_UNIT_KEY/);
});

test('no UI available (alert throws): still a toast, nothing sent', () => {
  const { context, rec } = loadAddon({ properties: {}, uiAvailable: false });
  context.menuCheckNow();
  assert.equal(rec.requests.length, 0);
  assert.match(rec.toasts[0].message, /THIDUA_URL/);
});
