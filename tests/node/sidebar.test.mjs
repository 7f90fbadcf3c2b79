// getStatus() (server side) and the sidebar's rendering (client side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';

import { loadAddon, expectedSignature, parseSignature, SIDEBAR_PATH } from './apps_script_env.mjs';

const STATUS = {
  unit: { id: 'ldld-tam-duong', name: 'LĐLĐ huyện Tam Đường' },
  forms: [
    {
      form: 'dai_bieu',
      title: 'Danh sách trích ngang đại biểu',
      quota: 12,
      rows: 13,
      valid_rows: 10,
      errors: 3,
      warnings: 1,
      state: 'errors',
      state_label: 'Còn lỗi',
      due: '2025-04-20',
      findings: [
        { row: 5, column: 'C', header: 'Ngày sinh', severity: 'error', message: 'Ngày sinh "31/02/1990" không tồn tại' },
        { row: 9, column: 'F', header: 'Dân tộc', severity: 'warning', message: '<img src=x onerror=alert(1)> không có trong danh sách' },
        { row: null, column: '', header: '', severity: 'error', message: 'Vượt chỉ tiêu: 13/12 đại biểu' },
      ],
    },
  ],
};

test('getStatus signs a GET of /api/units/<spreadsheetId>/status over "<t>." + ""', () => {
  const env = loadAddon({
    spreadsheetId: 'id with/slash',
    nowMs: 1_700_000_123_999,
    respond: () => ({ status: 200, body: STATUS }),
  });
  const result = env.context.getStatus();
  assert.equal(result.ok, true);
  assert.equal(result.data.forms[0].state_label, 'Còn lỗi');

  assert.equal(env.rec.requests.length, 1);
  const req = env.rec.requests[0];
  assert.equal(req.url, 'https://thidua.example.com/api/units/id%20with%2Fslash/status');
  assert.equal(req.method, 'get');
  assert.equal(req.payload, undefined);
  assert.equal(req.muteHttpExceptions, true);
  const sig = parseSignature(req.headers['X-Thidua-Signature']);
  assert.equal(sig.t, '1700000123');
  assert.equal(sig.v1, expectedSignature('bi-mat-chung-cua-dot-thi-dua', sig.t, ''));
});

test('getStatus turns 401, 500, bad JSON and missing configuration into Vietnamese messages', () => {
  const cases = [
    [{ respond: () => ({ status: 401 }) }, /^Sai khoá bí mật/],
    [{ respond: () => ({ status: 500 }) }, /mã 500/],
    [{ respond: () => ({ status: 200, body: '<html>proxy error</html>' }) }, /^Không lấy được tình trạng/],
    [{ properties: {} }, /Chưa đặt THIDUA_URL/],
  ];
  for (const [options, pattern] of cases) {
    const result = loadAddon(options).context.getStatus();
    assert.equal(result.ok, false);
    assert.match(result.message, pattern);
    assert.doesNotMatch(result.message, /SyntaxError|Unexpected token/);
  }
});

/** Evaluates the sidebar's inline script with a tiny DOM and google.script.run stand-in. */
function loadSidebar(statusResult) {
  const html = fs.readFileSync(SIDEBAR_PATH, 'utf8');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1);
  const elements = {};
  const el = (id) => (elements[id] ??= { id, innerHTML: '', textContent: '', disabled: false });
  const calls = [];
  const runner = {
    _ok: null,
    _fail: null,
    withSuccessHandler(fn) {
      this._ok = fn;
      return this;
    },
    withFailureHandler(fn) {
      this._fail = fn;
      return this;
    },
    getStatus() {
      calls.push('getStatus');
      if (statusResult instanceof Error) this._fail(statusResult);
      else this._ok(statusResult);
    },
  };
  const context = vm.createContext({
    document: { getElementById: el },
    google: { script: { run: runner } },
  });
  vm.runInContext(scripts[0], context);
  return { context, elements, calls };
}

test('the sidebar loads the status on open and renders every figure in Vietnamese', () => {
  const { elements, calls } = loadSidebar({ ok: true, data: STATUS });
  assert.deepEqual(calls, ['getStatus']);
  const out = elements.content.innerHTML;
  assert.match(out, /LĐLĐ huyện Tam Đường/);
  assert.match(out, /Danh sách trích ngang đại biểu/);
  assert.match(out, /Còn lỗi/);
  assert.match(out, /Số dòng đã nhập<\/th><td>13</);
  assert.match(out, /Dòng hợp lệ<\/th><td>10</);
  assert.match(out, /Chỉ tiêu \(đã dùng \/ được giao\)<\/th><td>13 \/ 12</);
  assert.match(out, /Lỗi<\/th><td>3</);
  assert.match(out, /Cảnh báo<\/th><td>1</);
  assert.match(out, /20\/04\/2025/);
  assert.match(out, /<td>5<\/td><td>Ngày sinh<\/td><td>Lỗi: Ngày sinh &quot;31\/02\/1990&quot; không tồn tại/);
  assert.match(out, /Vượt chỉ tiêu: 13\/12 đại biểu/);
  assert.match(elements.updated.textContent, /^Cập nhật lúc \d\d:\d\d:\d\d\.$/);
  assert.equal(elements.refresh.disabled, false);
});

test('unit-entered text in findings is escaped, never injected as HTML', () => {
  const { elements } = loadSidebar({ ok: true, data: STATUS });
  const out = elements.content.innerHTML;
  assert.doesNotMatch(out, /<img/);
  assert.match(out, /&lt;img src=x onerror=alert\(1\)&gt;/);
});

test('deadline shows days left, today, or days late', () => {
  const { context } = loadSidebar({ ok: true, data: { forms: [] } });
  const now = new Date(2025, 3, 17, 15, 0, 0); // 17/04/2025 local time
  assert.equal(context.formatDue('2025-04-20', now), '20/04/2025 (còn 3 ngày)');
  assert.equal(context.formatDue('2025-04-17T23:59:00+07:00', now), '17/04/2025 (hạn chót hôm nay)');
  assert.equal(context.formatDue('2025-04-10', now), '10/04/2025 (đã quá hạn 7 ngày)');
  assert.equal(context.formatDue(null, now), 'Không có hạn');
});

test('an error result or a failed call shows a Vietnamese message', () => {
  const bad = loadSidebar({ ok: false, message: 'Sai khoá bí mật: liên hệ đơn vị tổ chức (mã 401).' });
  assert.match(bad.elements.content.innerHTML, /Sai khoá bí mật/);
  const failed = loadSidebar(new Error('ScriptError: Authorization is required'));
  assert.match(failed.elements.content.innerHTML, /Không gọi được tiện ích Thi đua/);
  assert.doesNotMatch(failed.elements.content.innerHTML, /ScriptError|Authorization/);
});

test('a form without quota and without findings says so', () => {
  const { elements } = loadSidebar({
    ok: true,
    data: { unit: { id: 'u1' }, forms: [{ form: 'bao_cao', title: 'Báo cáo', rows: 1, valid_rows: 1, errors: 0, warnings: 0, quota: null, findings: [] }] },
  });
  const out = elements.content.innerHTML;
  assert.match(out, /<h2>u1<\/h2>/);
  assert.match(out, /Không giới hạn/);
  assert.match(out, /Không có lỗi hay cảnh báo nào/);
});

test('a returned form shows its state and the reason the organiser gave, escaped', () => {
  const reason = 'Ban tổ chức trả lại để sửa: thiếu <b>chức vụ</b> (sửa và nộp lại trước 25/04/2025 17:00)';
  const { elements } = loadSidebar({
    ok: true,
    data: {
      unit: { id: 'u1' },
      forms: [{
        form: 'dai_bieu', title: 'Đại biểu', rows: 3, valid_rows: 3, errors: 0, warnings: 0,
        quota: 3, state: 'returned', state_label: 'Bị trả lại để sửa', changed_since_submit: false,
        review: { decision: 'returned', reason: 'thiếu <b>chức vụ</b>' }, notices: [reason], findings: [],
      }],
    },
  });
  const out = elements.content.innerHTML;
  assert.match(out, /class="state state-returned">Bị trả lại để sửa</);
  assert.match(out, /<p class="notice">Ban tổ chức trả lại để sửa: thiếu &lt;b&gt;chức vụ&lt;\/b&gt; \(sửa và nộp lại trước 25\/04\/2025 17:00\)<\/p>/);
});
