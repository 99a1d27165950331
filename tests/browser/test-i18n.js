// test-i18n.js - the console speaks the browser's language: a browser
// set to Japanese gets Japanese text and Japanese dates from the login
// page on, one set to English gets English; the switch in the top bar
// changes the language at once and is remembered.  Runs on the demo
// scenario (`mamori server --demo`), so there is something to read.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause
'use strict';

const { Test } = require('./lib.js');

const NAV_JA = ['概要', 'アラート', 'インシデント', 'ログ', 'ホスト', '設定'];
const NAV_EN = ['Overview', 'Alerts', 'Incidents', 'Logs', 'Hosts', 'Settings'];

async function navTexts(page) {
	return (await page.locator('nav.nav a').allInnerTexts()).map((s) => s.trim());
}

Test.run('i18n', async (t) => {
	await t.startServer({ demo: true });
	await t.launch();

	// Japanese.
	const ja = await t.context({ locale: 'ja-JP' });
	const page = await ja.newPage();
	await page.goto(`${t.base}/`);
	await page.locator('form.login-form').waitFor();
	t.equal('login button in Japanese', (await page.locator(
	    'form.login-form button[type="submit"]').innerText()).trim(), 'ログイン');
	t.contains('user name label in Japanese', await page.locator('form.login-form')
	    .innerText(), 'ユーザー名');
	t.equal('the document is Japanese', await page.evaluate(() =>
	    document.documentElement.lang), 'ja');
	await t.screenshot(page, 'ja-login');
	// A wrong password: the message is Japanese too.
	await page.locator('input[name="user"]').fill('admin');
	await page.locator('input[name="password"]').fill('wrong-password-here');
	await page.locator('form.login-form button[type="submit"]').click();
	await page.locator('.login-msg [role="alert"]').waitFor();
	t.contains('refusal in Japanese', await page.locator('.login-msg').innerText(),
	    'ユーザー名またはパスワードが違います');

	await t.login(page, 'admin', t.adminPassword);
	t.equal('navigation in Japanese', (await navTexts(page)).join(' '), NAV_JA.join(' '));
	await page.locator('svg.chart').first().waitFor();
	const ov = await page.locator('main').innerText();
	t.contains('overview in Japanese', ov, '対応中のインシデント');
	// Messages with a number: Japanese has one form for every number.
	t.check('counts in Japanese', /対応中 \d+ 件/.test(ov), ov.slice(0, 600));
	t.check('no English count', !/open incident/.test(ov), ov.slice(0, 600));
	await t.screenshot(page, 'ja-overview');

	await page.locator('nav a[data-route="incidents"]').click();
	await page.locator('.inc-card').first().waitFor();
	t.contains('board columns in Japanese', await page.locator('.board').innerText(), '新規');
	await t.screenshot(page, 'ja-incidents');

	await page.locator('.inc-card a.inc-link').first().click();
	await page.locator('ol.timeline time').first().waitFor();
	const when = await page.locator('ol.timeline time').first().innerText();
	t.check('dates in Japanese form', /\d+年\d+月\d+日/.test(when), when);
	t.contains('incident page in Japanese', await page.locator('main').innerText(),
	    'タイムライン');
	await t.pageIsClean(page, 'Japanese incident page');
	await t.screenshot(page, 'ja-incident');

	await page.locator('nav a[data-route="logs"]').click();
	await page.locator('form.filters').waitFor();
	t.contains('log search in Japanese', await page.locator('form.filters').innerText(),
	    '正規表現');

	// The switch: English at once, and still after a reload.
	await page.locator('#lang').selectOption('en');
	await t.until('English after the switch', async () =>
	    (await navTexts(page)).join(' ') === NAV_EN.join(' '));
	t.contains('the page follows the switch', await page.locator('form.filters').innerText(),
	    'Regular expression');
	t.equal('the document is English', await page.evaluate(() =>
	    document.documentElement.lang), 'en');
	await page.reload();
	await page.locator('nav.nav a').first().waitFor();
	t.equal('the choice is remembered', (await navTexts(page)).join(' '), NAV_EN.join(' '));
	await page.locator('#lang').selectOption('ja');
	await t.until('Japanese again', async () =>
	    (await navTexts(page)).join(' ') === NAV_JA.join(' '));
	await t.pageIsClean(page, 'after switching');

	// English.
	const en = await t.context({ locale: 'en-US' });
	const p2 = await en.newPage();
	await t.login(p2, 'admin', t.adminPassword);
	t.equal('navigation in English', (await navTexts(p2)).join(' '), NAV_EN.join(' '));
	t.equal('document in English', await p2.evaluate(() => document.documentElement.lang), 'en');
	await p2.locator('nav a[data-route="incidents"]').click();
	await p2.locator('.inc-card').first().waitFor();
	t.contains('board in English', await p2.locator('.board').innerText(), 'New');
	await t.pageIsClean(p2, 'English board');
});
