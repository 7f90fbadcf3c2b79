// Stand-ins for the Apps Script globals used by sheet_templates/apps_script/Code.js,
// and a loader that evaluates Code.js (a classic script, as Apps Script runs it) in a
// node:vm context. Every stand-in records what the add-on did so tests can assert it.
// Not a test file itself (name does not match node --test patterns).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ADDON_DIR = path.resolve(here, '..', '..', 'sheet_templates', 'apps_script');
export const CODE_PATH = path.join(ADDON_DIR, 'Code.js');
export const SIDEBAR_PATH = path.join(ADDON_DIR, 'Sidebar.html');
export const MANIFEST_PATH = path.join(ADDON_DIR, 'appsscript.json');

const BUTTON = Object.freeze({ OK: 'OK', CANCEL: 'CANCEL', YES: 'YES', NO: 'NO', CLOSE: 'CLOSE' });
const BUTTON_SET = Object.freeze({
  OK: 'OK',
  OK_CANCEL: 'OK_CANCEL',
  YES_NO: 'YES_NO',
  YES_NO_CANCEL: 'YES_NO_CANCEL',
});

/** Apps Script byte arrays are Java bytes: signed integers -128..127. */
export function toSignedBytes(buffer) {
  return Array.from(new Int8Array(buffer.buffer, buffer.byteOffset, buffer.length));
}

function toBuffer(value) {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Array.isArray(value)) return Buffer.from(Int8Array.from(value).buffer);
  throw new TypeError('expected a string or a byte array, got ' + typeof value);
}

function makeResponse(spec) {
  const status = spec.status ?? 200;
  const body = spec.body === undefined ? '' : spec.body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = spec.headers ?? {};
  return {
    getResponseCode: () => status,
    getContentText: () => text,
    getHeaders: () => ({ ...headers }),
    getAllHeaders: () => ({ ...headers }),
  };
}

function makeCache(store) {
  return {
    get: (key) => (store.has(key) ? store.get(key) : null),
    put: (key, value, seconds) => {
      if (typeof value !== 'string') throw new TypeError('cache values are strings');
      store.set(key, value);
      return seconds;
    },
    remove: (key) => store.delete(key),
  };
}

/**
 * Creates the stand-ins. Options:
 *   properties: Script Properties (default: a valid URL and unit key)
 *   metadata: the spreadsheet's developer metadata {key: value} (default none)
 *   metadataError: a message: reading developer metadata throws it (an older copy, a
 *     scope missing) so the add-on must fall back to Script Properties
 *   spreadsheetId, activeSheet, email, nowMs
 *   respond(request) -> {status, body, headers} or throws (default 202)
 *   alertAnswer: 'YES' | 'NO' | 'OK' (answer of ui.alert)
 *   uiAvailable: false makes getUi() throw as in a trigger without UI
 *   triggers: pre-existing triggers [{handler, eventType}]
 */
export function createEnv(options = {}) {
  const rec = {
    requests: [],
    toasts: [],
    alerts: [],
    menus: [],
    sidebars: [],
    createdTriggers: [],
    deletedTriggers: [],
    logs: [],
  };
  const properties = new Map(
    Object.entries(
      options.properties ?? {
        THIDUA_URL: 'https://thidua.example.com',
        THIDUA_UNIT_KEY: 'tdk1_khoa-rieng-cua-don-vi',
      },
    ),
  );
  const clock = { nowMs: options.nowMs ?? 1_760_000_000_123 };
  const state = {
    alertAnswer: options.alertAnswer ?? 'YES',
    uiAvailable: options.uiAvailable ?? true,
    respond: options.respond ?? (() => ({ status: 202, body: { queued: true } })),
    email: options.email ?? 'can.bo@donvi.example.vn',
    emailThrows: options.emailThrows ?? false,
    activeSheet: options.activeSheet ?? 'Đại biểu',
  };
  const spreadsheetId = options.spreadsheetId ?? '1AbC-dEf_GhIjKlMnOpQrStUvWxYz0123456789';
  let triggerSeq = 0;
  const triggers = [];
  const addTrigger = (handler, eventType, sourceId) => {
    triggerSeq += 1;
    const uid = 'trigger-' + triggerSeq;
    const trigger = {
      getHandlerFunction: () => handler,
      getEventType: () => eventType,
      getTriggerSourceId: () => sourceId,
      getUniqueId: () => uid,
    };
    triggers.push(trigger);
    return trigger;
  };
  for (const t of options.triggers ?? []) addTrigger(t.handler, t.eventType, spreadsheetId);

  const metadata = new Map(Object.entries(options.metadata ?? {}));
  const spreadsheet = {
    getId: () => spreadsheetId,
    createDeveloperMetadataFinder: () => {
      let key = null;
      const finder = {
        withKey: (k) => {
          key = k;
          return finder;
        },
        find: () => {
          if (options.metadataError) throw new Error(options.metadataError);
          return [...metadata.entries()]
            .filter(([k]) => key === null || k === key)
            .map(([k, v]) => ({ getKey: () => k, getValue: () => v, getVisibility: () => 'DOCUMENT' }));
        },
      };
      return finder;
    },
    getName: () => 'Bảng tính đơn vị',
    getActiveSheet: () => ({ getName: () => state.activeSheet }),
    toast: (message, title, seconds) => {
      rec.toasts.push({ message: String(message), title, seconds });
    },
  };

  const ui = {
    ButtonSet: BUTTON_SET,
    Button: BUTTON,
    createMenu: (name) => {
      const menu = { name, items: [], added: false };
      const builder = {
        addItem: (caption, functionName) => {
          menu.items.push({ caption, functionName });
          return builder;
        },
        addSeparator: () => {
          menu.items.push({ separator: true });
          return builder;
        },
        addToUi: () => {
          menu.added = true;
          rec.menus.push(menu);
        },
      };
      return builder;
    },
    alert: (...args) => {
      // alert(prompt) | alert(prompt, buttons) | alert(title, prompt, buttons)
      let title = '';
      let prompt;
      let buttons = BUTTON_SET.OK;
      if (args.length >= 3) [title, prompt, buttons] = args;
      else if (args.length === 2) [prompt, buttons] = args;
      else [prompt] = args;
      rec.alerts.push({ title, prompt: String(prompt), buttons });
      if (buttons === BUTTON_SET.YES_NO) return state.alertAnswer === 'YES' ? BUTTON.YES : BUTTON.NO;
      return BUTTON.OK;
    },
    showSidebar: (html) => rec.sidebars.push(html),
  };

  const triggerEventTypes = Object.freeze({
    ON_EDIT: 'ON_EDIT',
    ON_CHANGE: 'ON_CHANGE',
    ON_OPEN: 'ON_OPEN',
    ON_FORM_SUBMIT: 'ON_FORM_SUBMIT',
    CLOCK: 'CLOCK',
  });

  const documentCache = new Map();
  const context = {
    console: {
      log: (...a) => rec.logs.push(['log', a.join(' ')]),
      info: (...a) => rec.logs.push(['info', a.join(' ')]),
      warn: (...a) => rec.logs.push(['warn', a.join(' ')]),
      error: (...a) => rec.logs.push(['error', a.join(' ')]),
    },
    Logger: { log: (...a) => rec.logs.push(['Logger', a.join(' ')]) },
    SpreadsheetApp: {
      getActive: () => spreadsheet,
      getActiveSpreadsheet: () => spreadsheet,
      getUi: () => {
        if (!state.uiAvailable) throw new Error('Cannot call SpreadsheetApp.getUi() from this context.');
        return ui;
      },
    },
    Session: {
      getActiveUser: () => ({
        getEmail: () => {
          if (state.emailThrows) throw new Error('You do not have permission to call getEmail');
          return state.email;
        },
      }),
    },
    PropertiesService: {
      getScriptProperties: () => ({
        getProperty: (key) => (properties.has(key) ? properties.get(key) : null),
        setProperty: (key, value) => properties.set(key, String(value)),
        deleteProperty: (key) => properties.delete(key),
        getProperties: () => Object.fromEntries(properties),
      }),
    },
    CacheService: {
      getDocumentCache: () => makeCache(documentCache),
      getScriptCache: () => makeCache(documentCache),
      getUserCache: () => makeCache(new Map()),
    },
    UrlFetchApp: {
      fetch: (url, params = {}) => {
        const request = {
          url,
          method: params.method ?? 'get',
          contentType: params.contentType,
          payload: params.payload,
          headers: { ...(params.headers ?? {}) },
          muteHttpExceptions: params.muteHttpExceptions,
          followRedirects: params.followRedirects,
          atMs: clock.nowMs,
        };
        rec.requests.push(request);
        const spec = state.respond(request);
        const response = makeResponse(spec);
        if (!params.muteHttpExceptions && response.getResponseCode() >= 400) {
          throw new Error('Request failed for ' + url + ' returned code ' + response.getResponseCode());
        }
        return response;
      },
    },
    Utilities: {
      Charset: Object.freeze({ UTF_8: 'UTF_8', US_ASCII: 'US_ASCII' }),
      computeHmacSha256Signature: (value, key, charset) => {
        if (charset !== undefined && charset !== 'UTF_8' && charset !== 'US_ASCII') {
          throw new TypeError('unknown charset ' + charset);
        }
        const mac = crypto.createHmac('sha256', toBuffer(key)).update(toBuffer(value)).digest();
        return toSignedBytes(mac);
      },
    },
    ScriptApp: {
      EventType: triggerEventTypes,
      getProjectTriggers: () => triggers.slice(),
      deleteTrigger: (trigger) => {
        const i = triggers.indexOf(trigger);
        if (i === -1) throw new Error('no such trigger');
        triggers.splice(i, 1);
        rec.deletedTriggers.push(trigger.getHandlerFunction());
      },
      newTrigger: (handler) => ({
        forSpreadsheet: (ss) => {
          const sourceId = typeof ss === 'string' ? ss : ss.getId();
          const kind = (eventType) => ({
            create: () => {
              const trigger = addTrigger(handler, eventType, sourceId);
              rec.createdTriggers.push({ handler, eventType, sourceId });
              return trigger;
            },
          });
          return {
            onEdit: () => kind(triggerEventTypes.ON_EDIT),
            onChange: () => kind(triggerEventTypes.ON_CHANGE),
            onOpen: () => kind(triggerEventTypes.ON_OPEN),
            onFormSubmit: () => kind(triggerEventTypes.ON_FORM_SUBMIT),
          };
        },
      }),
    },
    HtmlService: {
      createHtmlOutputFromFile: (name) => {
        const file = path.join(ADDON_DIR, name + '.html');
        const content = fs.readFileSync(file, 'utf8'); // throws if the file is missing
        const output = {
          file: name,
          title: '',
          setTitle: (title) => {
            output.title = title;
            return output;
          },
          setWidth: () => output,
          getContent: () => content,
        };
        return output;
      },
    },
  };

  vm.createContext(context);
  // Freeze the clock inside the context only (the context has its own Date).
  vm.runInContext('Date.now = function () { return __clockNow(); };', Object.assign(context, {
    __clockNow: () => clock.nowMs,
  }));

  return {
    context,
    rec,
    properties,
    metadata,
    triggers,
    clock,
    state,
    spreadsheetId,
    documentCache,
    /** Advances the frozen clock. */
    tick(ms) {
      clock.nowMs += ms;
    },
  };
}

/** Evaluates Code.js in the env's context (as a classic script) and returns the env. */
export function loadCode(env, codePath = CODE_PATH) {
  const source = fs.readFileSync(codePath, 'utf8');
  vm.runInContext(source, env.context, { filename: codePath });
  return env;
}

/** createEnv + loadCode. */
export function loadAddon(options = {}) {
  return loadCode(createEnv(options));
}

/** A stand-in onEdit event object for a range on a named sheet. */
export function editEvent(sheetName, a1, extra = {}) {
  return {
    authMode: 'FULL',
    range: {
      getA1Notation: () => a1,
      getSheet: () => ({ getName: () => sheetName }),
    },
    value: 'x',
    ...extra,
  };
}

/** HMAC-SHA256 hex of "<t>.<METHOD>.<path>." + body, computed independently with node:crypto. */
export function expectedSignature(key, t, body, method = 'POST', path = '/hooks/sheets') {
  return crypto
    .createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(`${t}.${method}.${path}.` + body, 'utf8')
    .digest('hex');
}

/** Parses "t=...,v1=..." into {t, v1}. */
export function parseSignature(header) {
  const out = {};
  for (const part of String(header).split(',')) {
    const i = part.indexOf('=');
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}
