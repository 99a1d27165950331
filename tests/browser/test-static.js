// test-static.js - the console's sources keep the rules that make it
// safe to show what attackers wrote (web/dom.js says why): no HTML is
// ever parsed from a string, no inline script or style (the server's
// Content-Security-Policy forbids them anyway), no eval, no javascript:
// URLs; and the English and Japanese catalogues have the same messages,
// with every message the code asks for.  Needs no server or browser.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { Test, SRC } = require('./lib.js');

// [what, pattern] for JavaScript; comments are stripped first.
const JS_BANNED = [
	['innerHTML', /\binnerHTML\b/],
	['outerHTML', /\bouterHTML\b/],
	['insertAdjacentHTML', /\binsertAdjacentHTML\b/],
	['document.write', /\bdocument\s*\.\s*write(ln)?\b/],
	['DOMParser', /\bDOMParser\b/],
	['createContextualFragment', /\bcreateContextualFragment\b/],
	['srcdoc', /\bsrcdoc\b/],
	['eval', /(^|[^.\w])eval\s*\(/],
	['new Function', /\bnew\s+Function\b/],
	['setTimeout/setInterval with a string', /\bset(Timeout|Interval)\s*\(\s*['"`]/],
	['javascript: URL', /javascript\s*:/i],
	['inline style attribute', /setAttribute\s*\(\s*['"]style['"]/],
	['event handler attribute', /setAttribute\s*\(\s*['"]on[a-z]+['"]/i],
	['.on<event> = assignment', /\.on[a-z]+\s*=[^=]/],
	['import of a remote module', /import\s*(\(|[^'"]*from\s*)['"]https?:/],
	['document.cookie', /\bdocument\s*\.\s*cookie\b/],
];

const HTML_BANNED = [
	['inline script', /<script(?![^>]*\bsrc=)[^>]*>/i],
	['style element', /<style\b/i],
	['style attribute', /\sstyle\s*=/i],
	['event handler attribute', /\son[a-z]+\s*=/i],
	['javascript: URL', /javascript\s*:/i],
	['remote resource', /(src|href)\s*=\s*["']?(https?:)?\/\//i],
];

const CSS_BANNED = [
	['@import', /@import\b/i],
	['remote url()', /url\(\s*["']?(https?:)?\/\//i],
	['expression()', /expression\s*\(/i],
];

function stripComments(src) {
	// Block and line comments, leaving strings alone well enough for the
	// code in web/ (no "//" inside its regular expressions but in
	// strings).
	return src.replace(/\/\*[\s\S]*?\*\//g, '')
	    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function files(dir) {
	const out = [];
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory())
			out.push(...files(p));
		else
			out.push(p);
	}
	return out;
}

Test.run('static', async (t) => {
	const web = path.join(SRC, 'web');
	const all = files(web);
	t.check('web/ has the console', all.some((f) => f.endsWith('index.html')),
	    all.join(', '));
	for (const f of all) {
		const rel = path.relative(SRC, f);
		const text = fs.readFileSync(f, 'utf8');
		let rules = [];
		let body = text;
		if (f.endsWith('.js')) {
			rules = JS_BANNED;
			body = stripComments(text);
		} else if (f.endsWith('.html')) {
			rules = HTML_BANNED;
		} else if (f.endsWith('.css')) {
			rules = CSS_BANNED;
		} else if (f.endsWith('.svg')) {
			rules = [['script in SVG', /<script/i], ['event handler', /\son[a-z]+\s*=/i],
				['foreignObject', /<foreignObject/i]];
		}
		for (const [what, re] of rules) {
			const m = body.match(re);
			t.check(`${rel}: no ${what}`, !m, m ? JSON.stringify(m[0]) : undefined);
		}
	}

	// The rule above has teeth: it finds what it is meant to find.
	const probe = stripComments("el.innerHTML = x; // fine\nel.onclick = f;\n");
	t.check('the check finds innerHTML', JS_BANNED[0][1].test(probe));
	t.check('the check finds .onclick =', JS_BANNED[13][1].test(probe));

	// The catalogues: the same keys (plural forms aside), nothing empty,
	// the same {placeholders}, and every key the code uses.
	const en = (await import(pathToFileURL(path.join(web, 'i18n-en.js')))).default;
	const ja = (await import(pathToFileURL(path.join(web, 'i18n-ja.js')))).default;
	const base = (k) => k.replace(/_(zero|one|two|few|many|other)$/, '');
	const keys = (o) => new Set(Object.keys(o).map(base));
	const ek = keys(en);
	const jk = keys(ja);
	const onlyEn = [...ek].filter((k) => !jk.has(k));
	const onlyJa = [...jk].filter((k) => !ek.has(k));
	t.equal('keys only in English', onlyEn.join(' '), '');
	t.equal('keys only in Japanese', onlyJa.join(' '), '');
	const holders = (s) => [...s.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).sort().join(',');
	for (const [k, v] of Object.entries(ja)) {
		t.check(`ja ${k} is text`, typeof v === 'string' && v.length > 0);
		const ev = en[k] ?? en[`${k}_other`];
		if (typeof ev === 'string')
			t.equal(`ja ${k} has the placeholders of en`, holders(v), holders(ev));
	}
	let used = 0;
	for (const f of all.filter((x) => x.endsWith('.js'))) {
		const src = fs.readFileSync(f, 'utf8');
		for (const m of src.matchAll(/\bt\('([a-z0-9_.-]+)'/g)) {
			used += 1;
			t.check(`${path.basename(f)}: message ${m[1]} exists`, ek.has(m[1]));
		}
	}
	t.check('the code uses messages', used > 100, used);
	// Japanese text is Japanese.
	t.check('ja nav.incidents', ja['nav.incidents'] === 'インシデント');
});
