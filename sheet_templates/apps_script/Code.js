/**
 * thidua-sync — Apps Script add-on bound to one unit's spreadsheet.
 *
 * Sends signed change events to the thidua-sync service (docs/design.md: Change events and the service):
 *   POST <THIDUA_URL>/hooks/sheets
 *   body  {"spreadsheetId", "sheet", "range", "user", "event"}
 *   header X-Thidua-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>." + body)>
 *
 * Plain Apps Script (V8): global functions only, no modules, so the file can be
 * pasted as is into Extensions → Apps Script. Names ending in "_" are private
 * (not callable from google.script.run nor shown in the Run menu).
 *
 * Settings: written by `thidua provision` into the spreadsheet's developer metadata
 * (document visibility, read here through SpreadsheetApp under spreadsheets.currentonly),
 * so a unit spreadsheet copied from the organiser's template needs no setup; else
 * Script Properties (Project Settings → Script Properties):
 *   THIDUA_URL     the service address, e.g. https://thidua.example.vn
 *   THIDUA_SECRET  the campaign secret given by the organiser
 */

var THIDUA = {
  PROP_URL: 'THIDUA_URL',
  PROP_SECRET: 'THIDUA_SECRET',
  HOOK_PATH: '/hooks/sheets',
  STATUS_PATH: '/api/units/',
  SIGNATURE_HEADER: 'X-Thidua-Signature',
  EVENTS: ['edit', 'change', 'check', 'submit', 'ping'],
  // Automatic events (edit/change) closer than this to the previous one are skipped:
  // the service debounces per spreadsheet and re-reads the whole sheet anyway.
  AUTO_MIN_INTERVAL_MS: 2000,
  CACHE_KEY_LAST_AUTO: 'thidua:lastAutoEventMs',
  CACHE_SECONDS: 60,
  HANDLER_EDIT: 'onEditInstalled',
  HANDLER_CHANGE: 'onChangeInstalled',
  // onChange also fires for plain value edits (changeType EDIT, already sent by the
  // onEdit trigger) and for formatting, which never changes the data checked.
  IGNORED_CHANGE_TYPES: ['EDIT', 'FORMAT'],
  MENU_TITLE: 'Thi đua',
  TOAST_TITLE: 'Thi đua',
  TOAST_SECONDS: 8,
  SIDEBAR_FILE: 'Sidebar',
  SIDEBAR_TITLE: 'Tình trạng thi đua',
};

/* ------------------------------------------------------------------ menu */

/** Simple trigger: builds the "Thi đua" menu (no network access here). */
function onOpen(e) {
  SpreadsheetApp.getUi()
    .createMenu(THIDUA.MENU_TITLE)
    .addItem('Kiểm tra ngay', 'menuCheckNow')
    .addItem('Nộp báo cáo', 'menuSubmit')
    .addSeparator()
    .addItem('Bật kiểm tra tự động', 'menuEnableAutoCheck')
    .addItem('Tắt kiểm tra tự động', 'menuDisableAutoCheck')
    .addSeparator()
    .addItem('Xem tình trạng', 'showStatusSidebar')
    .addToUi();
}

/** Same menu when installed as an editor add-on. */
function onInstall(e) {
  onOpen(e);
}

/** Menu: ask the service to check this spreadsheet now. */
function menuCheckNow() {
  return sendEvent('check', { interactive: true });
}

/** Menu: submit the unit's report after a YES/NO confirmation. */
function menuSubmit() {
  var config = readConfig_();
  if (config.problems.length) {
    notifyConfigProblem_(config, true);
    return { sent: false, reason: 'config' };
  }
  var ui = SpreadsheetApp.getUi();
  var answer = ui.alert(
    'Nộp báo cáo',
    'Bạn có chắc muốn nộp báo cáo của đơn vị không?\n\n' +
      'Dịch vụ sẽ kiểm tra lại toàn bộ danh sách và ghi nhận thời điểm nộp. ' +
      'Nếu còn lỗi, kết quả kiểm tra sẽ hiện trong cột trạng thái và tab "Kiểm tra"; ' +
      'sửa xong, bạn có thể nộp lại.',
    ui.ButtonSet.YES_NO
  );
  if (answer !== ui.Button.YES) {
    toast_('Chưa nộp báo cáo (bạn đã chọn "Không").');
    return { sent: false, reason: 'cancelled' };
  }
  return sendEvent('submit', { interactive: true });
}

/** Menu: install the onEdit and onChange triggers (once each). */
function menuEnableAutoCheck() {
  var config = readConfig_();
  if (config.problems.length) {
    notifyConfigProblem_(config, true);
    return { created: 0, existing: 0 };
  }
  var result = installTriggers();
  sendEvent('ping', { quiet: true }); // the organiser sees this unit is set up
  if (result.created === 0) {
    toast_('Kiểm tra tự động đã được bật từ trước; không tạo thêm trình kích hoạt.');
  } else {
    toast_(
      'Đã bật kiểm tra tự động: sau mỗi lần sửa, danh sách được kiểm tra lại trong ít giây.'
    );
  }
  return result;
}

/** Menu: remove this project's triggers installed by the current user. */
function menuDisableAutoCheck() {
  var removed = removeTriggers();
  if (removed === 0) {
    toast_('Kiểm tra tự động chưa được bật; không có gì để tắt.');
  } else {
    toast_('Đã tắt kiểm tra tự động (gỡ ' + removed + ' trình kích hoạt).');
  }
  return removed;
}

/** Menu: open the status sidebar. */
function showStatusSidebar() {
  var html = HtmlService.createHtmlOutputFromFile(THIDUA.SIDEBAR_FILE).setTitle(
    THIDUA.SIDEBAR_TITLE
  );
  SpreadsheetApp.getUi().showSidebar(html);
}

/* -------------------------------------------------------------- triggers */

/**
 * Installs ONE onEdit and ONE onChange installable trigger for this spreadsheet.
 * Idempotent: an existing trigger with the same handler is kept, not duplicated.
 * (ScriptApp.getProjectTriggers() lists the current user's triggers only.)
 */
function installTriggers() {
  var existing = {};
  ScriptApp.getProjectTriggers().forEach(function (trigger) {
    existing[trigger.getHandlerFunction()] = true;
  });
  var spreadsheet = SpreadsheetApp.getActive();
  var created = 0;
  if (!existing[THIDUA.HANDLER_EDIT]) {
    ScriptApp.newTrigger(THIDUA.HANDLER_EDIT).forSpreadsheet(spreadsheet).onEdit().create();
    created += 1;
  }
  if (!existing[THIDUA.HANDLER_CHANGE]) {
    ScriptApp.newTrigger(THIDUA.HANDLER_CHANGE).forSpreadsheet(spreadsheet).onChange().create();
    created += 1;
  }
  return { created: created, existing: 2 - created };
}

/** Deletes every trigger of ours; returns how many were removed. */
function removeTriggers() {
  var removed = 0;
  ScriptApp.getProjectTriggers().forEach(function (trigger) {
    var handler = trigger.getHandlerFunction();
    if (handler === THIDUA.HANDLER_EDIT || handler === THIDUA.HANDLER_CHANGE) {
      ScriptApp.deleteTrigger(trigger);
      removed += 1;
    }
  });
  return removed;
}

/** Installable onEdit trigger (simple triggers cannot call UrlFetchApp). */
function onEditInstalled(e) {
  var range = e && e.range;
  var sheet = '';
  var a1 = '';
  if (range) {
    sheet = range.getSheet().getName();
    a1 = range.getA1Notation();
  }
  return sendEvent('edit', { sheet: sheet, range: a1, auto: true, triggerEvent: e });
}

/** Installable onChange trigger: structural changes (rows, columns, sheets). */
function onChangeInstalled(e) {
  var changeType = e && e.changeType ? String(e.changeType) : '';
  if (THIDUA.IGNORED_CHANGE_TYPES.indexOf(changeType) !== -1) {
    return { sent: false, reason: 'ignored' };
  }
  return sendEvent('change', { auto: true, triggerEvent: e });
}

/* ---------------------------------------------------------- pure helpers */

/** Lowercase hex of a byte array; Apps Script bytes are signed (-128..127). */
function bytesToHex(bytes) {
  var out = '';
  for (var i = 0; i < bytes.length; i++) {
    var b = bytes[i] & 0xff;
    out += (b < 16 ? '0' : '') + b.toString(16);
  }
  return out;
}

/**
 * The JSON body of an event: exactly the five keys of the contract, in order.
 * Non-ASCII characters are written as \uXXXX escapes, so the body is pure ASCII
 * and its bytes (signed and sent) never depend on a character-set default.
 */
function buildPayload(fields) {
  var event = String(fields.event || '');
  if (THIDUA.EVENTS.indexOf(event) === -1) {
    throw new Error('unknown event: ' + event);
  }
  var body = {
    spreadsheetId: String(fields.spreadsheetId || ''),
    sheet: String(fields.sheet || ''),
    range: String(fields.range || ''),
    user: String(fields.user || ''),
    event: event,
  };
  return JSON.stringify(body).replace(/[\u007f-\uffff]/g, function (ch) {
    return '\\u' + ('0000' + ch.charCodeAt(0).toString(16)).slice(-4);
  });
}

/** Header value `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`. */
function signatureHeader(secret, body, t) {
  var mac = Utilities.computeHmacSha256Signature(
    String(t) + '.' + body,
    secret,
    Utilities.Charset.UTF_8
  );
  return 't=' + t + ',v1=' + bytesToHex(mac);
}

/** Current Unix time in whole seconds. */
function unixSeconds_() {
  return Math.floor(Date.now() / 1000);
}

/* ------------------------------------------------------------ events */

/**
 * Sends one event to <THIDUA_URL>/hooks/sheets and tells the user the outcome.
 * options: {sheet, range, auto, quiet, interactive, triggerEvent}.
 * Returns {sent, status, ok, reason, message} (never throws).
 */
function sendEvent(event, options) {
  options = options || {};
  var config = readConfig_();
  if (config.problems.length) {
    notifyConfigProblem_(config, !!options.interactive);
    return { sent: false, ok: false, reason: 'config', message: configMessage_(config) };
  }
  if (options.auto && !claimAutoSlot_()) {
    return { sent: false, ok: false, reason: 'throttled', message: '' };
  }
  var message;
  try {
    var spreadsheet = SpreadsheetApp.getActive();
    var sheet = options.sheet;
    if (!sheet) {
      sheet = spreadsheet.getActiveSheet().getName();
    }
    var body = buildPayload({
      spreadsheetId: spreadsheet.getId(),
      sheet: sheet,
      range: options.range || '',
      user: currentUserEmail_(options.triggerEvent),
      event: event,
    });
    var headers = {};
    headers[THIDUA.SIGNATURE_HEADER] = signatureHeader(config.secret, body, unixSeconds_());
    var response = UrlFetchApp.fetch(config.url + THIDUA.HOOK_PATH, {
      method: 'post',
      contentType: 'application/json',
      payload: body,
      headers: headers,
      muteHttpExceptions: true,
      followRedirects: false,
    });
    var status = response.getResponseCode();
    var ok = status >= 200 && status < 300;
    message = ok ? successMessage_(event) : httpErrorMessage_(status, response);
    if (!ok) {
      console.warn('thidua: ' + event + ' answered HTTP ' + status);
    }
    // Automatic events stay quiet when all is well: the feedback column shows it.
    if (!ok || !(options.auto || options.quiet)) {
      toast_(message);
    }
    return { sent: true, ok: ok, status: status, reason: ok ? '' : 'http', message: message };
  } catch (err) {
    console.error('thidua: ' + event + ' failed: ' + (err && err.message ? err.message : err));
    message =
      'Không kết nối được tới máy chủ kiểm tra: thử lại sau ít phút; ' +
      'nếu vẫn lỗi, báo đơn vị tổ chức (kiểm tra THIDUA_URL).';
    toast_(message);
    return { sent: false, ok: false, reason: 'exception', message: message };
  }
}

function successMessage_(event) {
  if (event === 'submit') {
    return (
      'Đã gửi yêu cầu nộp báo cáo. Kết quả kiểm tra và thời điểm nộp sẽ hiện trong ' +
      'tab "Kiểm tra" sau ít giây.'
    );
  }
  return 'Đã gửi yêu cầu kiểm tra. Kết quả sẽ hiện trong cột trạng thái sau ít giây.';
}

/** Vietnamese message for a non-2xx answer of the service. */
function httpErrorMessage_(status, response) {
  if (status === 401) {
    return 'Sai khoá bí mật: liên hệ đơn vị tổ chức (mã 401).';
  }
  if (status === 403) {
    return 'Máy chủ không cho phép bảng tính này gửi yêu cầu (mã 403): liên hệ đơn vị tổ chức.';
  }
  if (status === 404) {
    return (
      'Máy chủ không nhận ra bảng tính này (mã 404): kiểm tra THIDUA_URL ' +
      'hoặc liên hệ đơn vị tổ chức.'
    );
  }
  if (status === 413) {
    return 'Yêu cầu quá lớn, máy chủ từ chối (mã 413): liên hệ đơn vị tổ chức.';
  }
  if (status === 429) {
    var wait = retryAfterSeconds_(response);
    return (
      'Gửi quá nhanh, thử lại sau ít giây' + (wait ? ' (khoảng ' + wait + ' giây)' : '') + '.'
    );
  }
  if (status >= 300 && status < 400) {
    return (
      'Máy chủ chuyển hướng yêu cầu (mã ' + status + '): người tổ chức hãy sửa THIDUA_URL ' +
      'thành đúng địa chỉ https của dịch vụ.'
    );
  }
  if (status >= 500) {
    return (
      'Máy chủ kiểm tra đang gặp lỗi (mã ' + status + '): thử lại sau ít phút; ' +
      'nếu vẫn lỗi, báo đơn vị tổ chức.'
    );
  }
  return (
    'Máy chủ trả lời bất thường (mã ' + status + '): thử lại sau ít phút; ' +
    'nếu vẫn lỗi, báo đơn vị tổ chức.'
  );
}

/** Seconds from a Retry-After header (delta-seconds form), or 0. */
function retryAfterSeconds_(response) {
  try {
    var headers = response.getHeaders() || {};
    for (var name in headers) {
      if (String(name).toLowerCase() === 'retry-after') {
        var seconds = parseInt(headers[name], 10);
        return seconds > 0 && seconds < 3600 ? seconds : 0;
      }
    }
  } catch (err) {
    // no headers: fall through
  }
  return 0;
}

/**
 * Light client-side rate limit for automatic events: true when this call may send
 * (and records the time), false when the previous automatic event was < 2 s ago.
 */
function claimAutoSlot_() {
  try {
    var cache = CacheService.getDocumentCache() || CacheService.getScriptCache();
    var now = Date.now();
    var last = Number(cache.get(THIDUA.CACHE_KEY_LAST_AUTO) || 0);
    if (last && now - last >= 0 && now - last < THIDUA.AUTO_MIN_INTERVAL_MS) {
      return false;
    }
    cache.put(THIDUA.CACHE_KEY_LAST_AUTO, String(now), THIDUA.CACHE_SECONDS);
  } catch (err) {
    // cache unavailable (quota, outage): send anyway, the server debounces
    console.warn('thidua: cache unavailable: ' + (err && err.message ? err.message : err));
  }
  return true;
}

/** The current user's e-mail, or "" when Google does not reveal it. */
function currentUserEmail_(triggerEvent) {
  var email = '';
  try {
    email = Session.getActiveUser().getEmail() || '';
  } catch (err) {
    email = '';
  }
  if (!email && triggerEvent && triggerEvent.user) {
    try {
      email =
        typeof triggerEvent.user.getEmail === 'function'
          ? triggerEvent.user.getEmail() || ''
          : String(triggerEvent.user.email || '');
    } catch (err) {
      email = '';
    }
  }
  return email;
}

/* ---------------------------------------------------------- configuration */

/** A setting: the spreadsheet's developer metadata first, else the Script Property. */
function configValue_(name, props) {
  try {
    var found = SpreadsheetApp.getActiveSpreadsheet()
      .createDeveloperMetadataFinder()
      .withKey(name)
      .find();
    for (var i = 0; i < found.length; i++) {
      var value = String(found[i].getValue() || '').trim();
      if (value) {
        return value;
      }
    }
  } catch (err) {
    console.warn('thidua: developer metadata unreadable: ' + (err && err.message ? err.message : err));
  }
  return String(props.getProperty(name) || '').trim();
}

/** {url, secret, problems[]} from Script Properties; url without trailing "/". */
function readConfig_() {
  var props = PropertiesService.getScriptProperties();
  var url = configValue_(THIDUA.PROP_URL, props);
  var secret = configValue_(THIDUA.PROP_SECRET, props);
  url = url.replace(/\/+$/, '');
  if (url.slice(-THIDUA.HOOK_PATH.length) === THIDUA.HOOK_PATH) {
    url = url.slice(0, -THIDUA.HOOK_PATH.length);
  }
  var problems = [];
  if (!url) {
    problems.push('missing_url');
  } else if (!/^https:\/\/[^\s\/?#]+(\/[^\s?#]*)?$/.test(url)) {
    problems.push('bad_url');
  }
  if (!secret) {
    problems.push('missing_secret');
  }
  return { url: url, secret: secret, problems: problems };
}

function configMessage_(config) {
  var lines = [];
  if (config.problems.indexOf('missing_url') !== -1) {
    lines.push(
      '• Chưa đặt THIDUA_URL: địa chỉ dịch vụ kiểm tra, ví dụ https://thidua.example.vn'
    );
  }
  if (config.problems.indexOf('bad_url') !== -1) {
    lines.push(
      '• THIDUA_URL không hợp lệ ("' +
        config.url +
        '"): phải bắt đầu bằng https:// và không có dấu cách, ví dụ https://thidua.example.vn'
    );
  }
  if (config.problems.indexOf('missing_secret') !== -1) {
    lines.push('• Chưa đặt THIDUA_SECRET: khoá bí mật của đợt thi đua do đơn vị tổ chức cấp');
  }
  return (
    'Tiện ích Thi đua chưa được cấu hình đủ:\n' +
    lines.join('\n') +
    '\n\nNgười tổ chức hãy mở Tiện ích mở rộng → Apps Script → Cài đặt dự án ' +
    '(Project Settings) → Thuộc tính tập lệnh (Script Properties), thêm hoặc sửa ' +
    'các thuộc tính trên rồi bấm Lưu.'
  );
}

/** Alert (menu actions) or toast (triggers, where a dialog would block editing). */
function notifyConfigProblem_(config, interactive) {
  var message = configMessage_(config);
  console.warn('thidua: configuration incomplete: ' + config.problems.join(', '));
  if (interactive) {
    try {
      var ui = SpreadsheetApp.getUi();
      ui.alert('Thiếu cấu hình Thi đua', message, ui.ButtonSet.OK);
      return;
    } catch (err) {
      // no UI in this context: fall back to a toast
    }
  }
  toast_(
    'Chưa cấu hình THIDUA_URL / THIDUA_SECRET trong Script Properties: ' +
      'báo người tổ chức (menu Thi đua → Kiểm tra ngay để xem hướng dẫn).'
  );
}

function toast_(message) {
  try {
    SpreadsheetApp.getActive().toast(message, THIDUA.TOAST_TITLE, THIDUA.TOAST_SECONDS);
  } catch (err) {
    console.warn('thidua: toast failed: ' + message);
  }
}

/* ---------------------------------------------------------------- sidebar */

/**
 * Called by Sidebar.html (google.script.run): the unit's status from
 * GET <THIDUA_URL>/api/units/<spreadsheetId>/status, signed over "<t>." + "".
 * Returns {ok: true, data} or {ok: false, message} (Vietnamese).
 */
function getStatus() {
  var config = readConfig_();
  if (config.problems.length) {
    return { ok: false, message: configMessage_(config) };
  }
  try {
    var spreadsheetId = SpreadsheetApp.getActive().getId();
    var headers = {};
    headers[THIDUA.SIGNATURE_HEADER] = signatureHeader(config.secret, '', unixSeconds_());
    var response = UrlFetchApp.fetch(
      config.url + THIDUA.STATUS_PATH + encodeURIComponent(spreadsheetId) + '/status',
      {
        method: 'get',
        headers: headers,
        muteHttpExceptions: true,
        followRedirects: false,
      }
    );
    var status = response.getResponseCode();
    if (status !== 200) {
      console.warn('thidua: status answered HTTP ' + status);
      return { ok: false, status: status, message: httpErrorMessage_(status, response) };
    }
    var data = JSON.parse(response.getContentText());
    return { ok: true, data: data };
  } catch (err) {
    console.error('thidua: status failed: ' + (err && err.message ? err.message : err));
    return {
      ok: false,
      message:
        'Không lấy được tình trạng từ máy chủ kiểm tra: thử lại sau ít phút; ' +
        'nếu vẫn lỗi, báo đơn vị tổ chức.',
    };
  }
}
