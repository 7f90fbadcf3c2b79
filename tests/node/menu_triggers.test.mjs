// Menu, installable triggers, manifest and "plain Apps Script" constraints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';

import { loadAddon, CODE_PATH, MANIFEST_PATH, SIDEBAR_PATH } from './apps_script_env.mjs';

test('onOpen adds the "Thi đua" menu with the five Vietnamese entries', () => {
  const { context, rec } = loadAddon();
  context.onOpen({ authMode: 'LIMITED' });
  assert.equal(rec.menus.length, 1);
  const menu = rec.menus[0];
  assert.equal(menu.name, 'Thi đua');
  const items = menu.items.filter((i) => !i.separator);
  assert.deepEqual(
    items.map((i) => i.caption),
    ['Kiểm tra ngay', 'Nộp báo cáo', 'Bật kiểm tra tự động', 'Tắt kiểm tra tự động', 'Xem tình trạng'],
  );
  // every menu entry names a global function of Code.js
  for (const item of items) {
    assert.equal(typeof context[item.functionName], 'function', item.functionName);
    assert.doesNotMatch(item.functionName, /_$/, 'menu handlers must be public');
  }
  // onOpen is a simple trigger: it must not touch the network
  assert.equal(rec.requests.length, 0);
});

test('Bật kiểm tra tự động installs one onEdit and one onChange trigger, even when clicked twice', () => {
  const env = loadAddon();
  const { context, rec } = env;
  const first = context.menuEnableAutoCheck();
  assert.equal(first.created, 2);
  const second = context.menuEnableAutoCheck();
  assert.equal(second.created, 0);
  assert.deepEqual(
    rec.createdTriggers.map((t) => [t.handler, t.eventType, t.sourceId]),
    [
      ['onEditInstalled', 'ON_EDIT', env.spreadsheetId],
      ['onChangeInstalled', 'ON_CHANGE', env.spreadsheetId],
    ],
  );
  assert.equal(env.triggers.length, 2);
  for (const t of env.triggers) assert.equal(typeof context[t.getHandlerFunction()], 'function');
  assert.match(rec.toasts[0].message, /Đã bật kiểm tra tự động/);
  assert.match(rec.toasts[1].message, /đã được bật từ trước/);
  // each click tells the service the add-on is there (thidua provision --check-addon)
  assert.deepEqual(rec.requests.map((r) => JSON.parse(r.payload).event), ['ping', 'ping']);
});

test('installing completes a half-installed state and leaves unrelated triggers alone', () => {
  const env = loadAddon({
    triggers: [
      { handler: 'onEditInstalled', eventType: 'ON_EDIT' },
      { handler: 'organiserReport', eventType: 'CLOCK' },
    ],
  });
  assert.equal(env.context.installTriggers().created, 1);
  assert.deepEqual(
    env.triggers.map((t) => t.getHandlerFunction()).sort(),
    ['onChangeInstalled', 'onEditInstalled', 'organiserReport'],
  );
  assert.equal(env.context.menuDisableAutoCheck(), 2);
  assert.deepEqual(env.triggers.map((t) => t.getHandlerFunction()), ['organiserReport']);
  assert.match(env.rec.toasts.at(-1).message, /Đã tắt kiểm tra tự động \(gỡ 2 trình kích hoạt\)/);
  assert.equal(env.context.menuDisableAutoCheck(), 0);
  assert.match(env.rec.toasts.at(-1).message, /chưa được bật/);
});

test('Bật kiểm tra tự động without configuration alerts and installs nothing', () => {
  const env = loadAddon({ properties: { THIDUA_URL: 'https://thidua.example.com' } });
  env.context.menuEnableAutoCheck();
  assert.equal(env.triggers.length, 0);
  assert.match(env.rec.alerts[0].prompt, /THIDUA_SECRET/);
});

test('Xem tình trạng opens Sidebar.html with a Vietnamese title', () => {
  const { context, rec } = loadAddon();
  context.showStatusSidebar();
  assert.equal(rec.sidebars.length, 1);
  assert.equal(rec.sidebars[0].file, 'Sidebar');
  assert.equal(rec.sidebars[0].title, 'Tình trạng thi đua');
});

test('Code.js is a plain classic script: no modules, no require, no simple onEdit', () => {
  const source = fs.readFileSync(CODE_PATH, 'utf8');
  assert.doesNotThrow(() => new vm.Script(source, { filename: 'Code.js' }));
  assert.doesNotMatch(source, /^\s*(import|export)\s/m);
  assert.doesNotMatch(source, /\brequire\s*\(/);
  // A simple-trigger onEdit cannot fetch and would double the events.
  assert.doesNotMatch(source, /function\s+onEdit\s*\(/);
  const { context } = loadAddon();
  for (const name of ['bytesToHex', 'buildPayload', 'signatureHeader', 'sendEvent', 'getStatus']) {
    assert.equal(typeof context[name], 'function', name);
  }
});

test('appsscript.json: V8, Vietnam time zone, exactly the five narrow scopes, https allowlist', () => {
  const manifest = JSON.parse(fs.readFileSync(MANIFEST_PATH, 'utf8'));
  assert.equal(manifest.runtimeVersion, 'V8');
  assert.equal(manifest.timeZone, 'Asia/Ho_Chi_Minh');
  assert.deepEqual([...manifest.oauthScopes].sort(), [
    'https://www.googleapis.com/auth/script.container.ui',
    'https://www.googleapis.com/auth/script.external_request',
    'https://www.googleapis.com/auth/script.scriptapp',
    'https://www.googleapis.com/auth/spreadsheets.currentonly',
    'https://www.googleapis.com/auth/userinfo.email',
  ]);
  assert.ok(manifest.urlFetchWhitelist.length >= 1);
  for (const prefix of manifest.urlFetchWhitelist) {
    // Google's rules: https, a full domain, a non-empty path.
    assert.match(prefix, /^https:\/\/[a-z0-9.-]+\.[a-z]{2,}\/.*$/);
  }
});

test('every google.script.run call in Sidebar.html names a public function of Code.js', () => {
  const html = fs.readFileSync(SIDEBAR_PATH, 'utf8');
  const called = [...html.matchAll(/google\.script\.run(?:\s*\.\s*with\w+\([^)]*\))*\s*\.\s*(\w+)\(/g)].map((m) => m[1]);
  assert.deepEqual(called, ['getStatus']);
  const { context } = loadAddon();
  for (const name of called) {
    assert.equal(typeof context[name], 'function');
    assert.doesNotMatch(name, /_$/);
  }
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=["']https?:/i, 'no external CDN');
});

test('the organiser docs name the allowlist placeholder that must be replaced', () => {
  const manifest = JSON.parse(fs.readFileSync(MANIFEST_PATH, 'utf8'));
  const placeholder = manifest.urlFetchWhitelist[0];
  for (const doc of ['../../sheet_templates/apps_script/README.md', '../../docs/apps-script.md']) {
    const text = fs.readFileSync(new URL(doc, import.meta.url), 'utf8');
    assert.ok(text.includes(placeholder), doc + ' must mention ' + placeholder);
    assert.ok(text.includes('THIDUA_SECRET') && text.includes('THIDUA_URL'), doc);
  }
});
