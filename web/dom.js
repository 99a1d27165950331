// dom.js - the only way the console builds its pages.
//
// Everything the console shows may come from an attacker: log lines,
// host names, user names in alerts, incident titles made from them.  So
// no string is ever parsed as HTML here: elements are made with
// createElement, text goes in as text nodes, attributes are set one by
// one from a fixed list, and event handlers are functions, never
// attribute strings.  Links may only point inside the console (a hash
// route) or at the console's own API; they are built by the pages from
// constants and encoded values, and checked here once more.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

const SVG_NS = 'http://www.w3.org/2000/svg';

// Attributes a page may set.  Anything starting with "on" (event
// handlers), "style", "src" and "srcdoc" are missing on purpose.
const ATTRS = new Set([
	'id', 'role', 'type', 'name', 'value', 'placeholder', 'for', 'title',
	'href', 'download', 'min', 'max', 'step', 'rows', 'cols',
	'autocomplete', 'tabindex', 'lang', 'dir', 'colspan', 'rowspan',
	'scope', 'datetime', 'inputmode', 'pattern', 'maxlength', 'minlength',
	'size', 'list', 'rel', 'spellcheck', 'accept', 'form', 'low', 'high',
	'optimum', 'enterkeyhint', 'autocapitalize', 'method', 'novalidate',
	'aria-label', 'aria-labelledby', 'aria-describedby', 'aria-live',
	'aria-current', 'aria-expanded', 'aria-controls', 'aria-hidden',
	'aria-busy', 'aria-pressed', 'aria-selected', 'aria-sort',
	'aria-invalid', 'aria-modal', 'aria-atomic', 'aria-valuenow',
	'aria-valuemin', 'aria-valuemax', 'aria-haspopup', 'aria-level',
	'aria-roledescription',
]);
// Boolean attributes, set as properties.
const BOOLS = new Set(['checked', 'disabled', 'selected', 'required',
	'readonly', 'multiple', 'hidden', 'open', 'autofocus']);
// SVG presentation attributes the charts and icons use.
const SVG_ATTRS = new Set(['viewBox', 'width', 'height', 'x', 'y', 'x1',
	'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'rx', 'ry', 'd', 'points', 'fill',
	'stroke', 'stroke-width', 'stroke-linecap', 'stroke-linejoin',
	'stroke-dasharray', 'fill-opacity', 'opacity', 'transform',
	'text-anchor', 'dominant-baseline', 'font-size', 'preserveAspectRatio',
	'vector-effect', 'role', 'aria-label', 'aria-hidden', 'focusable',
	'tabindex', 'class', 'xmlns']);

// A link may go to a route of the console ("#/incidents/42") or to a
// path on this server ("/api/v1/..."), nowhere else: no scheme, no
// "//host", no backslashes, no white space or controls.
export function safeHref(v) {
	return typeof v === 'string' &&
	    /^(#\/|\/(?![/\\]))[^\s\\\u0000-\u001f\u007f]*$/.test(v) &&
	    !/^[^#?]*:/.test(v.replace(/^#/, ''));
}

function setAttr(el, k, v) {
	if (v === undefined || v === null || v === false)
		return;
	if (k === 'class') {
		el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
	} else if (BOOLS.has(k)) {
		el[k] = Boolean(v);
	} else if (k.startsWith('data-') && /^data-[a-z][a-z0-9-]*$/.test(k)) {
		el.setAttribute(k, String(v));
	} else if (k === 'href') {
		if (!safeHref(v))
			throw new Error(`refusing link ${JSON.stringify(v)}`);
		el.setAttribute('href', v);
	} else if (k === 'value' && 'value' in el) {
		el.value = String(v);
	} else if (ATTRS.has(k)) {
		el.setAttribute(k, v === true ? '' : String(v));
	} else {
		throw new Error(`attribute ${k} is not allowed`);
	}
}

function append(el, c) {
	if (c === null || c === undefined || c === false || c === true)
		return;
	if (Array.isArray(c)) {
		for (const x of c)
			append(el, x);
	} else if (c instanceof Node) {
		el.appendChild(c);
	} else {
		el.appendChild(document.createTextNode(String(c)));
	}
}

// h('tag.class1.class2', {attr: value, on: {click: fn}}, children...)
// Children are nodes, strings (as text), numbers, arrays, or nothing.
export function h(tag, attrs, ...children) {
	const [name, ...classes] = tag.split('.');
	const el = document.createElement(name || 'div');
	if (classes.length > 0)
		el.className = classes.join(' ');
	if (attrs && !(attrs instanceof Node) && !Array.isArray(attrs) &&
	    typeof attrs === 'object') {
		for (const [k, v] of Object.entries(attrs)) {
			if (k === 'on') {
				for (const [ev, fn] of Object.entries(v))
					el.addEventListener(ev, fn);
			} else if (k === 'class' && classes.length > 0 && v) {
				el.className += ' ' + (Array.isArray(v) ?
				    v.filter(Boolean).join(' ') : v);
			} else {
				setAttr(el, k, v);
			}
		}
	} else {
		append(el, attrs);
	}
	append(el, children);
	return el;
}

// An SVG element; attributes from SVG_ATTRS only, children as in h().
export function s(tag, attrs, ...children) {
	const el = document.createElementNS(SVG_NS, tag);
	if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node ||
	    Array.isArray(attrs)) {
		children.unshift(attrs);
		attrs = {};
	}
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === null)
			continue;
		if (!SVG_ATTRS.has(k))
			throw new Error(`SVG attribute ${k} is not allowed`);
		el.setAttribute(k, String(v));
	}
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		el.appendChild(c instanceof Node ? c :
		    document.createTextNode(String(c)));
	}
	return el;
}

// Replaces what el holds with the children given.
export function fill(el, ...children) {
	el.replaceChildren();
	append(el, children);
	return el;
}

// A class name made from a value of a known set ("high", "triage",
// "false-positive"): anything outside [a-z0-9-] is dropped, so a value
// from the server cannot add classes of its own.
export function cls(prefix, v) {
	return prefix + String(v ?? '').toLowerCase().replace(/[^a-z0-9-]/g, '');
}
