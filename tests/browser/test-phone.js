// test-phone.js - the console on a phone (390 x 844, touch): every page
// fits the width (nothing to scroll sideways), the navigation is all on
// screen, tables become stacked cards, and a playbook step can be ticked
// with a tap.  On the demo scenario.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause
'use strict';

const { Test } = require('./lib.js');

const W = 390;
const H = 844;

Test.run('phone', async (t) => {
	await t.startServer({ demo: true });
	await t.launch();
	const ctx = await t.context({ viewport: { width: W, height: H }, isMobile: true,
	    hasTouch: true, deviceScaleFactor: 2, locale: 'en-US' });
	const page = await ctx.newPage();
	await page.goto(`${t.base}/`);
	await page.locator('form.login-form').waitFor();
	await fits(t, page, 'login');
	await t.screenshot(page, 'login');
	await t.login(page, 'admin', t.adminPassword);

	// The navigation: every entry visible inside the screen.
	const boxes = await page.locator('nav.nav a').evaluateAll((as) =>
	    as.map((a) => a.getBoundingClientRect().toJSON()));
	t.equal('six entries', boxes.length, 6);
	t.check('all on screen', boxes.every((b) => b.left >= 0 && b.right <= W + 0.5 &&
	    b.width > 40 && b.height >= 40), JSON.stringify(boxes));

	const incidents = await t.until('demo incidents', async () => {
		const r = await t.apiGet(page, '/incidents');
		return (r.incidents || []).length > 0 ? r.incidents : null;
	});
	const id = incidents ? incidents[0].id : 1;

	const pages = [
		['overview', 'svg.chart'],
		['alerts', 'table.data tbody tr[data-id]'],
		['alerts?group=rule', 'table.data tbody tr'],
		['incidents', '.inc-card'],
		[`incidents/${id}`, 'ol.steps li'],
		['logs', 'table.data tbody tr'],
		['hosts', 'table.data tbody tr'],
		['settings', '.settings-grid .card'],
	];
	for (const [route, sel] of pages) {
		await page.goto(`${t.base}/#/${route}`);
		await page.locator(sel).first().waitFor();
		const name = route.replace(/[/?=]/g, '-');
		await fits(t, page, name);
		await t.pageIsClean(page, `phone ${route}`);
		await t.screenshot(page, name);
	}

	// Tables as cards: the header row is hidden, each cell names its
	// column.
	await page.goto(`${t.base}/#/alerts`);
	await page.locator('table.data tbody tr[data-id]').first().waitFor();
	const cell = await page.locator('table.data tbody tr[data-id] td').first().evaluate((td) => ({
		display: getComputedStyle(td).display,
		label: getComputedStyle(td, '::before').content,
		head: document.querySelector('table.data thead').getBoundingClientRect().height,
	}));
	t.equal('a cell is a grid of name and value', cell.display, 'grid');
	t.equal('the name is the column\'s', cell.label, '"Time"');
	t.check('the header row is out of sight', cell.head <= 1, cell.head);

	// The board is one column.
	await page.goto(`${t.base}/#/incidents`);
	await page.locator('.board-col').first().waitFor();
	const cols = await page.locator('.board-col').evaluateAll((cs) =>
	    cs.map((c) => c.getBoundingClientRect().left));
	t.check('columns stacked', cols.every((x) => Math.abs(x - cols[0]) < 1), cols.join(','));

	// Tick a step with a tap.
	await page.goto(`${t.base}/#/incidents/${id}`);
	const box = page.locator('ol.steps li.step-open input[type="checkbox"]').first();
	await box.waitFor();
	const before = await page.locator('ol.steps li.step-done').count();
	await box.tap();
	await t.until('the step is done', async () =>
	    (await page.locator('ol.steps li.step-done').count()) === before + 1);
	await t.pageIsClean(page, 'after the tap');

	// Japanese on the phone as well.
	const ja = await t.context({ viewport: { width: W, height: H }, isMobile: true,
	    hasTouch: true, deviceScaleFactor: 2, locale: 'ja-JP' });
	const pj = await ja.newPage();
	await t.login(pj, 'admin', t.adminPassword);
	for (const [route, sel] of [['incidents', '.inc-card'], [`incidents/${id}`, 'ol.steps li']]) {
		await pj.goto(`${t.base}/#/${route}`);
		await pj.locator(sel).first().waitFor();
		const name = `ja-${route.replace(/[/?=]/g, '-')}`;
		await fits(t, pj, name);
		await t.screenshot(pj, name);
	}
	await t.pageIsClean(pj, 'Japanese phone');
});

// Nothing wider than the screen.
async function fits(t, page, name) {
	const w = await page.evaluate(() => ({
		doc: document.documentElement.scrollWidth,
		inner: window.innerWidth,
		wide: [...document.querySelectorAll('main *')].filter((e) => {
			const r = e.getBoundingClientRect();
			return r.width > 0 && r.right > window.innerWidth + 1 &&
			    !e.closest('.table-wrap, .board-wrap');
		}).slice(0, 3).map((e) => `${e.tagName}.${e.className}`),
	}));
	t.check(`${name}: no sideways scrolling`, w.doc <= w.inner, `${w.doc} > ${w.inner}`);
	t.equal(`${name}: nothing sticks out`, w.wide.join(' '), '');
}
