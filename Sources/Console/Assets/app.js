// The wrpc-gateway console: every function /functions lists, a form per
// function built from its JSON Schema in /openapi.json (the gateway's own,
// which follows its JSON mapping exactly), a JSON editor kept in sync, and
// the call's answer. No framework, no inline code: it runs under the strict
// Content-Security-Policy the gateway sends with it.
'use strict';

(() => {
  // MARK: - DOM

  let nextID = 0;

  /** An element with attributes (`text` sets its text, `on…` adds a listener) and children. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v == null) continue;
      if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c != null && c !== false) el.append(c);
    return el;
  }

  // MARK: - JSON that keeps every number as written

  /** A JSON number a double would change (u64 max, -0, 1e400): kept as its text. */
  class Num {
    constructor(text) { this.text = text; }
    toString() { return this.text; }
  }

  function number(text) {
    const n = Number(text);
    const integral = /^-?\d+$/.test(text);
    if (!Number.isFinite(n) || Object.is(n, -0) || (integral && !Number.isSafeInteger(n))) return new Num(text);
    return n;
  }

  const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
  const stringPattern = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

  /** JSON.parse, except that numbers a double would change stay exact (as `Num`). */
  function parseJSON(text) {
    let i = 0;
    const fail = (what) => { throw new SyntaxError(`${what} at offset ${i}`); };
    const space = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
    const match = (pattern) => {
      pattern.lastIndex = i;
      const m = pattern.exec(text);
      if (!m) return null;
      i = pattern.lastIndex;
      return m[0];
    };
    const put = (o, k, v) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    function value() {
      space();
      const c = text[i];
      if (c === '{') {
        i++;
        const o = {};
        space();
        if (text[i] === '}') { i++; return o; }
        for (;;) {
          space();
          const key = match(stringPattern);
          if (key === null) fail('expected a key');
          space();
          if (text[i++] !== ':') fail("expected ':'");
          put(o, JSON.parse(key), value());
          space();
          const d = text[i++];
          if (d === '}') return o;
          if (d !== ',') fail("expected ',' or '}'");
        }
      }
      if (c === '[') {
        i++;
        const a = [];
        space();
        if (text[i] === ']') { i++; return a; }
        for (;;) {
          a.push(value());
          space();
          const d = text[i++];
          if (d === ']') return a;
          if (d !== ',') fail("expected ',' or ']'");
        }
      }
      if (c === '"') {
        const s = match(stringPattern);
        if (s === null) fail('bad string');
        return JSON.parse(s);
      }
      for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
        if (text.startsWith(word, i)) { i += word.length; return v; }
      }
      const n = match(numberPattern);
      if (n === null) fail(i < text.length ? 'unexpected character' : 'unexpected end');
      return number(n);
    }
    const v = value();
    space();
    if (i < text.length) fail('unexpected text after the value');
    return v;
  }

  /** JSON text; `indent` '' is compact. `Num`s are written as they came. */
  function stringify(v, indent = '', depth = '') {
    if (v instanceof Num) return v.text;
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    const inner = depth + indent;
    const nl = indent ? '\n' : '';
    const sep = indent ? ': ' : ':';
    if (Array.isArray(v)) {
      if (!v.length) return '[]';
      return `[${nl}${v.map((x) => inner + stringify(x, indent, inner)).join(`,${nl}`)}${nl}${depth}]`;
    }
    const entries = Object.entries(v);
    if (!entries.length) return '{}';
    return `{${nl}${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}${sep}${stringify(x, indent, inner)}`).join(`,${nl}`)}${nl}${depth}}`;
  }

  function pretty(text) {
    try { return stringify(parseJSON(text), '  '); } catch { return text; }
  }

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Num);

  // MARK: - Bytes

  function toBase64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }

  function fromBase64(text) {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  }

  /** The text a base64 value holds, or null when it is not printable UTF-8. */
  function base64Text(b64) {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(fromBase64(b64));
      return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? null : text;
    } catch { return null; }
  }

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

  // MARK: - Types: the gateway's JSON Schemas, read back as WIT kinds

  let schemas = {};

  function deref(s) {
    for (let n = 0; s && s.$ref && n < 64; n++) s = schemas[s.$ref.slice(s.$ref.lastIndexOf('/') + 1)];
    return s || {};
  }

  /** `{tag, val}` of a variant, result or tagged option case, or null. */
  function tagged(s0) {
    const s = deref(s0);
    const tag = s.type === 'object' && s.properties && s.properties.tag;
    return tag && typeof tag.const === 'string' ? { tag: tag.const, val: s.properties.val || null } : null;
  }

  /** What form `s0` gets: the JSON mapping's shapes, as the OpenAPI generator writes them. */
  function kind(s0) {
    const s = deref(s0);
    if (s.oneOf) {
      const alts = s.oneOf.map(deref);
      if (alts.length === 2 && alts[1].type === 'null') return { k: 'option', s, inner: s.oneOf[0] };
      const cases = s.oneOf.map(tagged);
      if (cases.every(Boolean)) return { k: 'tagged', s, cases };
      if (alts.length === 2 && alts[0].type === 'integer' && alts[1].type === 'string') return { k: 'number', s, int: true, range: alts[0] };
      if (alts.length === 2 && alts[0].type === 'number' && alts[1].enum) return { k: 'number', s, range: alts[0] };
      // map<string, V>: pairs, or an object; the form writes pairs.
      if (alts.length === 2 && alts[0].type === 'array' && alts[1].type === 'object' && alts[1].additionalProperties) {
        return { ...kind(s.oneOf[0]), map: true };
      }
      return { k: 'alts', s, alts: s.oneOf };
    }
    switch (s.type) {
      case 'boolean': return { k: 'bool', s };
      case 'integer': return { k: 'number', s, int: true, range: s };
      case 'number': return { k: 'number', s, range: s };
      case 'string':
        if (s.contentEncoding === 'base64') return { k: 'bytes', s };
        if (s.enum) return { k: 'enum', s };
        return { k: 'string', s, char: s.maxLength === 1, handle: s.format === 'wrpc-resource-handle' };
      case 'array':
        if (s.prefixItems) return { k: 'tuple', s, items: s.prefixItems };
        if (s.uniqueItems && deref(s.items).enum) return { k: 'flags', s, names: deref(s.items).enum };
        if (s.minItems !== undefined && Number(s.minItems) === Number(s.maxItems)) {
          return { k: 'tuple', s, items: Array(Number(s.minItems)).fill(s.items || {}) };
        }
        return { k: 'list', s, item: s.items || {} };
      case 'object': return { k: 'record', s };
      case 'null': return { k: 'null', s };
      default: return { k: 'any', s };
    }
  }

  const intNames = {
    255: 'u8', 65535: 'u16', 4294967295: 'u32', '18446744073709551615': 'u64',
    127: 's8', 32767: 's16', 2147483647: 's32', '9223372036854775807': 's64',
  };

  /** A short WIT-like name for a field's type. */
  function typeName(s0) {
    const s = deref(s0);
    if (s.title) return s.title;
    const k = kind(s0);
    switch (k.k) {
      case 'number': return k.int ? intNames[String(k.range.maximum)] || 'integer' : k.range.maximum !== undefined ? 'f32' : 'f64';
      case 'bool': return 'bool';
      case 'string': return k.char ? 'char' : 'string';
      case 'bytes': return 'bytes';
      case 'enum': return 'enum';
      case 'flags': return 'flags';
      case 'list': return k.map ? `map<${deref(k.item).prefixItems.map(typeName).join(', ')}>` : `list<${typeName(k.item)}>`;
      case 'tuple': return k.s.prefixItems ? `tuple<${k.items.map(typeName).join(', ')}>` : `list<${typeName(k.s.items || {})}, ${k.items.length}>`;
      case 'option': return `option<${typeName(k.inner)}>`;
      case 'tagged': {
        const tags = k.cases.map((c) => c.tag).join(',');
        if (tags === 'ok,err') return 'result';
        if (tags === 'none,some') return `option<${typeName(k.cases[1].val)}>`;
        return 'variant';
      }
      case 'alts': return k.alts.map(typeName).join(' | ');
      case 'record': return s.properties && s.properties.url ? 'url' : 'record';
      default: return 'value';
    }
  }

  /** A value of the type, to start from: zeros, first cases, one list element. */
  function example(s0) {
    const k = kind(s0);
    switch (k.k) {
      case 'bool': return false;
      case 'number': return 0;
      case 'string': return k.char ? 'a' : '';
      case 'bytes': return '';
      case 'enum': return k.s.enum[0];
      case 'flags': return [];
      case 'option': return null;
      case 'tagged': return caseValue(k.cases[0]);
      case 'alts': return example(k.alts[0]);
      case 'tuple': return k.items.map(example);
      case 'list': return [example(k.item)];
      case 'record': {
        const o = {};
        for (const [name, ps] of Object.entries(k.s.properties || {})) o[name] = example(ps);
        return o;
      }
      default: return null;
    }
  }

  const caseValue = (c) => (c.val ? { tag: c.tag, val: example(c.val) } : { tag: c.tag });

  /** Whether `v` has the JSON shape of `s0` (to pick an alternative). */
  function fits(s0, v) {
    switch (kind(s0).k) {
      case 'bool': return typeof v === 'boolean';
      case 'number': return typeof v === 'number' || v instanceof Num || typeof v === 'string';
      case 'string': case 'bytes': case 'enum': return typeof v === 'string';
      case 'tuple': case 'list': case 'flags': return Array.isArray(v);
      case 'record': case 'tagged': return isObject(v);
      case 'null': return v === null;
      default: return true;
    }
  }

  // MARK: - Form fields
  //
  // field(schema, value, pointer, changed) → {el, get}: an element showing
  // `value`, and a getter for what it holds now. Every input carries the
  // JSON Pointer the gateway would name for its value (`data-pointer`), so
  // an `invalid_argument` answer marks the right one: a tagged payload is
  // at `…/val`, a bare option's value where the option is.

  const escapePointer = (name) => name.replace(/~/g, '~0').replace(/\//g, '~1');

  function field(s0, value, ptr, changed) {
    const k = kind(s0);
    const id = `f${nextID++}`;
    switch (k.k) {
      case 'bool': {
        const box = h('input', { type: 'checkbox', id, 'data-pointer': ptr, onchange: changed });
        box.checked = value === true;
        return { el: box, get: () => box.checked };
      }
      case 'number': {
        const input = h('input', {
          type: 'text', id, 'data-pointer': ptr, inputmode: k.int ? 'numeric' : 'decimal', spellcheck: 'false',
          placeholder: k.int ? `${k.range.minimum} … ${k.range.maximum}` : 'number, NaN, Infinity, -Infinity', oninput: changed,
        });
        input.value = value === null || value === undefined ? '' : isObject(value) || Array.isArray(value) ? stringify(value) : String(value);
        return { el: input, get: () => numberOf(input.value) };
      }
      case 'string': {
        const input = h('input', { type: 'text', id, 'data-pointer': ptr, spellcheck: 'false', oninput: changed, placeholder: k.char ? 'one character' : k.handle ? 'a handle, as a result gave it' : null });
        input.value = typeof value === 'string' ? value : value == null ? '' : stringify(value);
        return { el: input, get: () => input.value };
      }
      case 'enum': {
        const names = k.s.enum.slice();
        if (typeof value === 'string' && !names.includes(value)) names.push(value);
        const select = h('select', { id, 'data-pointer': ptr, onchange: changed }, names.map((n) => h('option', { value: n, text: n })));
        if (typeof value === 'string') select.value = value;
        return { el: select, get: () => select.value };
      }
      case 'flags': {
        const set = new Set(Array.isArray(value) ? value : []);
        const boxes = k.names.map((n) => {
          const box = h('input', { type: 'checkbox', value: n, onchange: changed });
          box.checked = set.has(n);
          return box;
        });
        const el = h('span', { class: 'flags', 'data-pointer': ptr }, boxes.map((b) => h('label', {}, b, ` ${b.value}`)));
        return { el, get: () => boxes.filter((b) => b.checked).map((b) => b.value) };
      }
      case 'bytes': return bytesField(value, ptr, changed, id);
      case 'option': {
        const none = h('input', { type: 'checkbox', 'data-none': '' });
        none.checked = value === null || value === undefined;
        const inner = field(k.inner, none.checked ? example(k.inner) : value, ptr, changed);
        const wrap = h('span', { class: 'payload' }, inner.el);
        wrap.hidden = none.checked;
        none.addEventListener('change', () => { wrap.hidden = none.checked; changed(); });
        const el = h('span', { class: 'option' }, h('label', { class: 'none' }, none, ' none'), wrap);
        return { el, get: () => (none.checked ? null : inner.get()) };
      }
      case 'tagged': {
        const cases = k.cases;
        const given = isObject(value) ? cases.find((c) => c.tag === value.tag) : undefined;
        let current = given || cases[0];
        const select = h('select', { id, 'data-pointer': ptr, 'data-case': '' }, cases.map((c) => h('option', { value: c.tag, text: c.tag })));
        select.value = current.tag;
        const slot = h('span', { class: 'payload' });
        let payload = null;
        const show = (val) => {
          payload = current.val ? field(current.val, val, `${ptr}/val`, changed) : null;
          slot.replaceChildren(...(payload ? [payload.el] : []));
        };
        show(given && 'val' in value ? value.val : current.val ? example(current.val) : null);
        select.addEventListener('change', () => {
          current = cases.find((c) => c.tag === select.value);
          show(current.val ? example(current.val) : null);
          changed();
        });
        const el = h('span', { class: 'tagged' }, select, slot);
        return { el, get: () => (payload ? { tag: current.tag, val: payload.get() } : { tag: current.tag }) };
      }
      case 'alts': {
        let index = Math.max(0, k.alts.findIndex((a) => fits(a, value)));
        const select = h('select', { id, 'data-pointer': ptr }, k.alts.map((a, i) => h('option', { value: i, text: typeName(a) })));
        select.value = String(index);
        const slot = h('span', { class: 'payload' });
        let inner = null;
        const show = (v) => { inner = field(k.alts[index], v, ptr, changed); slot.replaceChildren(inner.el); };
        show(value === undefined ? example(k.alts[index]) : value);
        select.addEventListener('change', () => { index = Number(select.value); show(example(k.alts[index])); changed(); });
        return { el: h('span', { class: 'alts' }, select, slot), get: () => inner.get() };
      }
      case 'record': {
        const given = isObject(value) ? value : example(s0);
        const props = Object.entries(k.s.properties || {});
        const rows = props.map(([name, ps]) => row(name, ps, name in given ? given[name] : example(ps), `${ptr}/${escapePointer(name)}`, changed));
        const el = h('fieldset', { class: 'record', 'data-pointer': ptr }, k.s.title ? h('legend', { text: k.s.title }) : null, rows.map((r) => r.el));
        return {
          el,
          get: () => Object.fromEntries(props.map(([name], i) => [name, rows[i].get()])),
        };
      }
      case 'tuple': {
        const given = Array.isArray(value) ? value : [];
        const rows = k.items.map((ps, i) => row(String(i), ps, i < given.length ? given[i] : example(ps), `${ptr}/${i}`, changed));
        return { el: h('fieldset', { class: 'tuple', 'data-pointer': ptr }, rows.map((r) => r.el)), get: () => rows.map((r) => r.get()) };
      }
      case 'list': return listField(k.item, value, ptr, changed);
      case 'null': return { el: h('span', { class: 'null', text: 'null' }), get: () => null };
      default: {
        const area = h('textarea', { id, 'data-pointer': ptr, rows: 2, spellcheck: 'false', oninput: changed });
        area.value = value === undefined ? 'null' : stringify(value);
        return { el: area, get: () => { try { return parseJSON(area.value); } catch { return area.value; } } };
      }
    }
  }

  /** A number typed in a text box: JSON's number when it is one, else the text (the gateway says what is wrong). */
  function numberOf(text) {
    const t = text.trim();
    if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(t)) return number(t);
    if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(t)) return number(String(Number(t)));
    return t;
  }

  /** `list<u8>` and `stream<u8>` (base64 in JSON): typed as text, as base64, or read from a file. */
  function bytesField(value, ptr, changed, id) {
    const mode = h('select', { 'data-bytes-mode': '', 'aria-label': 'bytes given as' },
      ['text', 'base64', 'file'].map((m) => h('option', { value: m, text: m })));
    const text = h('input', { type: 'text', id, 'data-pointer': ptr, spellcheck: 'false', oninput: changed });
    const file = h('input', { type: 'file', 'data-pointer': ptr });
    let fileBase64 = '';
    const given = typeof value === 'string' ? value : Array.isArray(value) ? toBase64(Uint8Array.from(value, Number)) : '';
    const asText = base64Text(given);
    mode.value = asText === null ? 'base64' : 'text';
    text.value = asText === null ? given : asText;
    const show = () => { text.hidden = mode.value === 'file'; file.hidden = mode.value !== 'file'; };
    show();
    let previous = mode.value;
    mode.addEventListener('change', () => {
      if (previous === 'text' && mode.value === 'base64') text.value = toBase64(new TextEncoder().encode(text.value));
      if (previous === 'base64' && mode.value === 'text') {
        const decoded = base64Text(text.value.trim());
        if (decoded === null) { mode.value = 'base64'; return; }
        text.value = decoded;
      }
      previous = mode.value;
      show();
      changed();
    });
    file.addEventListener('change', async () => {
      const f = file.files[0];
      fileBase64 = f ? toBase64(new Uint8Array(await f.arrayBuffer())) : '';
      changed();
    });
    const get = () => {
      if (mode.value === 'file') return fileBase64;
      if (mode.value === 'base64') return text.value.trim();
      return toBase64(new TextEncoder().encode(text.value));
    };
    return { el: h('span', { class: 'bytes' }, mode, text, file), get };
  }

  /** Lists (and maps, as [key, value] pairs) with rows to add and remove. */
  function listField(item, value, ptr, changed) {
    const el = h('div', { class: 'list', 'data-pointer': ptr });
    let rows = [];
    const render = (values) => {
      rows = values.map((v, i) => {
        const inner = field(item, v, `${ptr}/${i}`, changed);
        const remove = h('button', { type: 'button', class: 'remove', 'data-action': 'remove', 'aria-label': `remove element ${i}`, text: '−' });
        remove.addEventListener('click', () => {
          const now = rows.map((r) => r.get());
          now.splice(i, 1);
          render(now);
          changed();
        });
        return { el: h('div', { class: 'item' }, h('span', { class: 'index', text: String(i) }), inner.el, remove), get: inner.get };
      });
      const add = h('button', { type: 'button', class: 'add', 'data-action': 'add', text: '+ add' });
      add.addEventListener('click', () => {
        render([...rows.map((r) => r.get()), example(item)]);
        changed();
      });
      el.replaceChildren(...rows.map((r) => r.el), add);
    };
    render(Array.isArray(value) ? value : []);
    return { el, get: () => rows.map((r) => r.get()) };
  }

  /** A labelled field: name, type, the field's doc comment, and where the gateway's complaint goes. */
  function row(name, s0, value, ptr, changed) {
    const f = field(s0, value, ptr, changed);
    const labelled = ['INPUT', 'SELECT', 'TEXTAREA'].includes(f.el.tagName) ? f.el.id : null;
    const doc = deref(s0).description;
    const el = h('div', { class: 'row', 'data-field': ptr },
      h(labelled ? 'label' : 'span', { class: 'label', for: labelled },
        h('span', { class: 'name', text: name }), ' ', h('span', { class: 'type', text: typeName(s0) })),
      h('div', { class: 'value' }, f.el, doc ? h('div', { class: 'doc', text: doc }) : null,
        h('div', { class: 'error', 'data-error': '', hidden: true })));
    return { el, get: f.get };
  }

  // MARK: - A function's panel

  const maxRows = 200;

  function functionPanel(fn, op) {
    const key = `${fn.instance}/${fn.alias}`;
    // Relative, like every URL of the page: it works under a proxy's path prefix too.
    const url = `.${fn.path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => encodeURIComponent(c))}`;
    const content = (op && op.requestBody && op.requestBody.content) || {};
    const paramsSchema = content['application/json'] && content['application/json'].schema;
    const byName = paramsSchema ? (paramsSchema.oneOf ? paramsSchema.oneOf[0] : paramsSchema) : null;
    const params = Object.entries((byName && byName.properties) || {});
    const ok = (op && op.responses && op.responses['200'] && op.responses['200'].content) || {};
    const streams = 'application/x-ndjson' in ok;
    const bytes = !streams && 'application/octet-stream' in ok;

    const form = h('form', { class: 'form', novalidate: true, 'data-form': '' });
    const args = h('textarea', { 'data-args': '', rows: 6, spellcheck: 'false', 'aria-label': `JSON arguments of ${fn.alias}` });
    const note = h('p', { class: 'note', 'data-json-note': '' });
    const invokeButton = h('button', { type: 'button', 'data-action': 'invoke', text: 'Invoke' });
    const curlButton = h('button', { type: 'button', 'data-action': 'curl', text: 'Copy as curl' });
    const exampleButton = h('button', { type: 'button', 'data-action': 'example', text: 'Example' });
    const curl = h('pre', { class: 'curl', 'data-curl': '', hidden: true });
    const status = h('div', { class: 'status', 'data-status': '', 'aria-live': 'polite' });
    const output = h('pre', { class: 'output', 'data-output': '' });
    const download = h('div', { class: 'download', 'data-download': '' });
    let rows = [];
    let downloadURL = null;

    const current = () => Object.fromEntries(params.map(([name], i) => [name, rows[i].get()]));
    const syncJSON = () => {
      args.value = stringify(current(), '  ');
      note.textContent = '';
      clearMarks();
    };
    const buildForm = (values) => {
      rows = params.map(([name, ps]) => row(name, ps, name in values ? values[name] : example(ps), `/${escapePointer(name)}`, syncJSON));
      form.replaceChildren(...(rows.length ? rows.map((r) => r.el) : [h('p', { class: 'empty', text: 'No parameters.' })]));
    };
    const exampleArgs = () => Object.fromEntries(params.map(([name, ps]) => [name, example(ps)]));
    buildForm(exampleArgs());
    args.value = stringify(current(), '  ');

    args.addEventListener('input', () => {
      let v;
      try { v = parseJSON(args.value); } catch (e) {
        note.textContent = `Not valid JSON (${e.message}): the form shows the last valid arguments.`;
        return;
      }
      if (!isObject(v)) {
        note.textContent = 'The form shows arguments given as an object keyed by parameter name.';
        return;
      }
      note.textContent = '';
      clearMarks();
      buildForm(v);
    });
    exampleButton.addEventListener('click', () => { buildForm(exampleArgs()); syncJSON(); });

    function clearMarks() {
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      for (const el of form.querySelectorAll('.row.invalid')) el.classList.remove('invalid');
      for (const el of form.querySelectorAll('[data-error]')) { el.hidden = true; el.textContent = ''; }
    }

    /** Marks the field the error's JSON Pointer names (or the nearest one that encloses it). */
    function mark(error) {
      const path = isObject(error) && isObject(error.details) ? error.details.path : undefined;
      if (typeof path !== 'string') return;
      const all = [...form.querySelectorAll('[data-pointer]')];
      let at = path;
      let hits = [];
      for (;;) {
        hits = all.filter((el) => el.getAttribute('data-pointer') === at);
        if (hits.length || at === '') break;
        at = at.slice(0, at.lastIndexOf('/'));
      }
      for (const el of hits) el.setAttribute('aria-invalid', 'true');
      const r = hits.length ? hits[0].closest('.row') : null;
      if (r) {
        r.classList.add('invalid');
        const e = r.querySelector('[data-error]');
        e.textContent = String(error.message);
        e.hidden = false;
        r.scrollIntoView({ block: 'nearest' });
      }
    }

    function curlCommand() {
      let body = args.value;
      try { body = stringify(parseJSON(body)); } catch { /* sent as typed, like the console does */ }
      const q = (s) => `'${s.replace(/'/g, "'\\''")}'`;
      const parts = ['curl', '-sS'];
      if (streams) parts.push('-N');
      parts.push(q(new URL(url, location.href).href), '-H', q('Content-Type: application/json'), '--data-binary', q(body));
      if (bytes) parts.push('-o', q(`${fn.alias}.bin`));
      return parts.join(' ');
    }

    curlButton.addEventListener('click', () => {
      const command = curlCommand();
      curl.textContent = command;
      curl.hidden = false;
      const done = (text) => { curlButton.textContent = text; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(command).then(() => done('Copied'), () => done('Copy as curl (select the command below)'));
      } else {
        done('Copy as curl (select the command below)');
      }
    });

    function setStatus(state, parts) {
      status.setAttribute('data-state', state);
      status.replaceChildren(...parts.filter(Boolean));
    }

    async function invoke() {
      clearMarks();
      if (downloadURL) { URL.revokeObjectURL(downloadURL); downloadURL = null; }
      download.replaceChildren();
      output.replaceChildren();
      output.classList.remove('failed');
      status.removeAttribute('data-code');
      // Counts calls, so a script can tell this answer from the last one.
      status.setAttribute('data-calls', String(Number(status.getAttribute('data-calls') || 0) + 1));
      setStatus('calling', [h('span', { text: 'calling…' })]);
      const started = performance.now();
      const elapsed = () => h('span', { 'data-duration': '', text: `${(performance.now() - started).toFixed(1)} ms` });
      let response;
      try {
        response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: args.value });
      } catch (e) {
        setStatus('failed', [h('span', { text: `no answer: ${e.message}` }), elapsed()]);
        return;
      }
      const code = h('span', { class: response.ok ? 'code ok' : 'code bad', text: `${response.status} ${response.statusText}`.trim() });
      const requestID = response.headers.get('X-Request-Id');
      const rid = requestID ? h('span', { 'data-request-id': '', text: `X-Request-Id: ${requestID}` }) : null;
      status.setAttribute('data-code', String(response.status));
      const type = (response.headers.get('Content-Type') || '').split(';')[0].trim();
      try {
        if (response.ok && type === 'application/x-ndjson') {
          const counter = h('span', { 'data-count': '', text: '0 rows' });
          setStatus('streaming', [code, h('span', { text: 'streaming…' }), counter, rid]);
          const outcome = await streamRows(response, counter);
          setStatus(outcome ? 'failed' : 'done', [code, elapsed(), counter, outcome ? h('span', { class: 'bad', text: outcome }) : null, rid]);
        } else if (response.ok && type === 'application/octet-stream') {
          const counter = h('span', { 'data-count': '', text: '0 bytes' });
          setStatus('streaming', [code, h('span', { text: 'receiving…' }), counter, rid]);
          await streamBytes(response, counter);
          setStatus('done', [code, elapsed(), counter, rid]);
        } else {
          const text = await response.text();
          output.textContent = response.status === 204 ? '(no result)' : pretty(text);
          if (!response.ok) {
            output.classList.add('failed');
            try { mark(parseJSON(text)); } catch { /* not the gateway's error body */ }
          }
          setStatus(response.ok ? 'done' : 'failed', [code, elapsed(), rid]);
        }
      } catch (e) {
        setStatus('failed', [code, elapsed(), h('span', { class: 'bad', text: `the body broke off: ${e.message}` }), rid]);
      }
    }

    /** NDJSON rows as they arrive; the last `maxRows` stay on the page. The failure that ended the stream, if one did. */
    async function streamRows(response, counter) {
      const list = h('ol', { class: 'rows', 'data-rows': '', 'data-count': '0' });
      const skipped = h('p', { class: 'skipped', hidden: true });
      output.replaceChildren(skipped, list);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let pending = '';
      let count = 0;
      let failure = null;
      const add = (lines) => {
        const real = lines.filter((line) => line.trim());
        // Elements only for the rows that stay on the page.
        const first = Math.max(0, real.length - maxRows);
        const shown = [];
        real.forEach((line, j) => {
          const error = line.startsWith('{"error"') ? streamError(line) : null;
          if (error) {
            failure = `the stream failed: ${error.code}: ${error.message}`;
            shown.push(h('li', { class: 'error', 'data-stream-error': '', text: line }));
            return;
          }
          count++;
          if (j >= first) shown.push(h('li', { 'data-row': '', text: line }));
        });
        list.append(...shown);
        while (list.children.length > maxRows) list.firstElementChild.remove();
        const hidden = count - list.querySelectorAll('[data-row]').length;
        skipped.hidden = hidden <= 0;
        skipped.textContent = `… ${hidden} earlier rows not shown`;
        list.setAttribute('start', String(hidden + 1));
        list.setAttribute('data-count', String(count));
        counter.textContent = `${count} rows`;
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop();
        add(lines);
      }
      pending += decoder.decode();
      add([pending]);
      return failure;
    }

    /** The gateway's `{"error": {code, message}}` that ends a failed stream, or null for an element. */
    function streamError(line) {
      try {
        const v = parseJSON(line);
        const keys = isObject(v) ? Object.keys(v) : [];
        return keys.length === 1 && isObject(v.error) && 'code' in v.error ? v.error : null;
      } catch { return null; }
    }

    /** A `stream<u8>` result: counted as it arrives, then offered as a download. */
    async function streamBytes(response, counter) {
      const reader = response.body.getReader();
      const chunks = [];
      let size = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
        counter.textContent = `${size} bytes`;
      }
      const blob = new Blob(chunks, { type: 'application/octet-stream' });
      downloadURL = URL.createObjectURL(blob);
      const first = new Uint8Array(await blob.slice(0, 64).arrayBuffer());
      output.textContent = size ? `${hex(first)}${size > 64 ? ' …' : ''}` : '(no bytes)';
      download.replaceChildren(h('a', { href: downloadURL, download: `${fn.alias}.bin`, 'data-download-link': '', text: `Download ${size} bytes` }));
    }

    form.addEventListener('submit', (e) => { e.preventDefault(); invoke(); });
    invokeButton.addEventListener('click', (e) => { e.preventDefault(); invoke(); });

    const docs = fn.docs || '';
    // The first paragraph in the list; the whole comment when opened, if it has more.
    const paragraphs = docs.split(/\n\s*\n/);
    const summary = h('summary', {},
      h('span', { class: 'fname', text: fn.alias }), ' ',
      h('code', { class: 'sig', text: `func${fn.signature}` }),
      docs ? h('span', { class: 'gist', text: paragraphs[0].replace(/\s*\n\s*/g, ' ') }) : null);
    const panel = h('details', { class: 'fn', 'data-function': key, id: key },
      summary,
      h('div', { class: 'body' },
        paragraphs.length > 1 ? h('p', { class: 'docs', text: docs }) : null,
        fn.name !== fn.alias ? h('p', { class: 'meta', text: `WIT name ${fn.name}` }) : null,
        h('div', { class: 'editors' },
          h('div', { class: 'pane' }, h('h4', { text: 'Arguments' }), form),
          h('div', { class: 'pane' }, h('h4', { text: 'JSON' }), args, note)),
        h('div', { class: 'actions' }, invokeButton, curlButton, exampleButton,
          h('span', { class: 'path', text: `POST ${fn.path}` })),
        curl,
        h('div', { class: 'result' }, status, output, download)));
    panel.search = `${fn.instance} ${fn.alias} ${fn.name} ${fn.signature} ${docs}`.toLowerCase();
    return panel;
  }

  // MARK: - The page

  /** `ns:pkg/iface@1.0.0` with line breaks allowed after `/` and before `@`. */
  const breakable = (name) => name.split(/(?<=\/)|(?=@)/).flatMap((part, i) => (i ? [h('wbr'), part] : [part]));

  async function getJSON(path) {
    const response = await fetch(path, { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
    return parseJSON(await response.text());
  }

  async function start() {
    const main = document.querySelector('[data-functions]');
    const index = document.querySelector('[data-index]');
    const search = document.querySelector('[data-search]');
    let functions;
    let doc;
    try {
      [functions, doc] = await Promise.all([getJSON('functions'), getJSON('openapi.json')]);
    } catch (e) {
      main.replaceChildren(h('p', { class: 'bad', text: `Could not load the functions: ${e.message}` }));
      return;
    }
    // Forwards (plain HTTP passed to incoming handlers) have no form here.
    functions = functions.filter((fn) => !fn.forward);
    schemas = (doc.components && doc.components.schemas) || {};
    const paths = doc.paths || {};
    const groups = new Map();
    for (const fn of functions) {
      if (!groups.has(fn.instance)) groups.set(fn.instance, []);
      groups.get(fn.instance).push(fn);
    }
    const sections = [];
    const links = [];
    for (const [instance, fns] of groups) {
      const panels = fns.map((fn) => functionPanel(fn, paths[fn.path] && paths[fn.path].post));
      sections.push(h('section', { class: 'instance', 'data-instance': instance }, h('h2', {}, breakable(instance)), panels));
      links.push(h('div', { class: 'group', 'data-instance': instance }, h('h3', {}, breakable(instance)),
        h('ul', {}, fns.map((fn, i) => h('li', { 'data-link': panels[i].id },
          h('a', { href: `#${panels[i].id}`, text: fn.alias }))))));
    }
    main.replaceChildren(...(sections.length ? sections : [h('p', { text: 'No callable functions.' })]));
    index.replaceChildren(h('p', { class: 'count', 'data-function-count': String(functions.length), text: `${functions.length} functions` }), ...links);

    const openFromHash = () => {
      const id = decodeURIComponent(location.hash.slice(1));
      const panel = id && document.getElementById(id);
      if (panel && panel.matches('details[data-function]')) {
        panel.open = true;
        panel.scrollIntoView({ block: 'start' });
      }
    };
    window.addEventListener('hashchange', openFromHash);
    openFromHash();

    search.addEventListener('input', () => {
      const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const section of sections) {
        let any = false;
        for (const panel of section.querySelectorAll('details[data-function]')) {
          const hit = words.every((w) => panel.search.includes(w));
          panel.hidden = !hit;
          any = any || hit;
          document.querySelector(`[data-link="${CSS.escape(panel.id)}"]`).hidden = !hit;
        }
        section.hidden = !any;
        index.querySelector(`.group[data-instance="${CSS.escape(section.getAttribute('data-instance'))}"]`).hidden = !any;
      }
    });
    document.body.setAttribute('data-ready', '');
  }

  start();
})();
