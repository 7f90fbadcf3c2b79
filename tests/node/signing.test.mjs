// Pure helpers of Code.js: bytesToHex, buildPayload, signatureHeader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { loadAddon, expectedSignature, toSignedBytes } from './apps_script_env.mjs';

const plain = (value) => JSON.parse(JSON.stringify(value));

test('bytesToHex turns signed bytes (-128..127) into two lowercase hex digits each', () => {
  const { context } = loadAddon();
  assert.equal(context.bytesToHex([-128, -1, 0, 1, 15, 16, 127]), '80ff00010f107f');
  assert.equal(context.bytesToHex([-16, -86, 10]), 'f0aa0a');
  assert.equal(context.bytesToHex([]), '');
});

test('bytesToHex of a real HMAC in signed form equals node hex digest', () => {
  const { context } = loadAddon();
  for (let i = 0; i < 50; i++) {
    const digest = crypto.createHmac('sha256', 'k' + i).update('v' + i).digest();
    const hex = context.bytesToHex(toSignedBytes(digest));
    assert.equal(hex, digest.toString('hex'));
    assert.match(hex, /^[0-9a-f]{64}$/);
  }
});

test('buildPayload has exactly the five contract keys, in order, all strings', () => {
  const { context } = loadAddon();
  const body = context.buildPayload({
    spreadsheetId: 'abc',
    sheet: 'Đại biểu',
    range: 'B5:C7',
    user: undefined,
    event: 'edit',
    extra: 'ignored',
  });
  const parsed = JSON.parse(body);
  assert.deepEqual(Object.keys(parsed), ['spreadsheetId', 'sheet', 'range', 'user', 'event']);
  assert.deepEqual(plain(parsed), {
    spreadsheetId: 'abc',
    sheet: 'Đại biểu',
    range: 'B5:C7',
    user: '',
    event: 'edit',
  });
});

test('buildPayload escapes non-ASCII so the signed bytes are plain ASCII', () => {
  const { context } = loadAddon();
  const body = context.buildPayload({ spreadsheetId: 'x', sheet: 'Đại biểu 😀', event: 'check' });
  assert.match(body, /^[\x20-\x7e]+$/);
  assert.equal(JSON.parse(body).sheet, 'Đại biểu 😀');
});

test('buildPayload refuses an event outside edit/change/check/submit', () => {
  const { context } = loadAddon();
  for (const event of ['edit', 'change', 'check', 'submit']) {
    assert.equal(JSON.parse(context.buildPayload({ event })).event, event);
  }
  assert.throws(() => context.buildPayload({ event: 'delete' }), /unknown event/);
});

test('signatureHeader matches HMAC-SHA256 of "<t>.<METHOD>.<path>." + body by node:crypto', () => {
  const { context } = loadAddon();
  const body = '{"a":1}';
  const header = context.signatureHeader('s3cr3t', 'POST', '/hooks/sheets', body, 1700000000);
  assert.equal(header, 't=1700000000,v1=' + expectedSignature('s3cr3t', 1700000000, body));
  // the method is upper-cased and the path is part of what is signed
  const get = context.signatureHeader('s3cr3t', 'get', '/api/units/x/status', '', 7);
  assert.equal(get, 't=7,v1=' + expectedSignature('s3cr3t', 7, '', 'GET', '/api/units/x/status'));
  assert.notEqual(get, context.signatureHeader('s3cr3t', 'GET', '/api/units/y/status', '', 7));
  // A non-ASCII key is encoded as UTF-8, like Python's key.encode().
  const header2 = context.signatureHeader('khoá-bí-mật', 'POST', '/hooks/sheets', body, 5);
  assert.equal(header2, 't=5,v1=' + expectedSignature('khoá-bí-mật', 5, body));
});
