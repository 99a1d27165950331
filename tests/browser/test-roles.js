// test-roles.js - users, roles and tokens through the settings page, and
// what each role is offered: an admin adds a viewer and a responder,
// changes a role and back, makes an API token (shown once, usable as a
// Bearer token) and revokes it; the viewer reads an incident but gets no
// controls; the responder ticks a step; a deleted user's open console
// goes back to the login page at its next request.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause
'use strict';

const { Test, sshFailures } = require('./lib.js');

const VIEWER = 'vera';
const RESPONDER = 'rico';
const PASSWORD = 'a-long-test-password-42';

Test.run('roles', async (t) => {
	await t.startServer();
	t.sendLogs(sshFailures(10, 'root', '203.0.113.77'), 'sshd');
	await t.launch();

	const actx = await t.context();
	const admin = await actx.newPage();
	await t.login(admin, 'admin', t.adminPassword);
	const incs = await t.until('an incident', async () => {
		const r = await t.apiGet(admin, '/incidents');
		return (r.incidents || []).length > 0 ? r.incidents : null;
	});
	const id = incs ? incs[0].id : 1;

	// Add two users.
	await admin.locator('nav a[data-route="settings"]').click();
	const users = admin.locator('[data-card="users"]');
	await users.locator('table.data tbody tr').first().waitFor();
	const form = users.locator('form.grid-form');
	// A password too short is refused before anything is sent.
	await form.locator('input[name="name"]').fill(VIEWER);
	const pw = form.locator('input[type="password"]');
	await pw.nth(0).fill('short');
	await pw.nth(1).fill('short');
	await form.locator('button[type="submit"]').click();
	await form.locator('[role="alert"]').waitFor();
	for (const [name, role] of [[VIEWER, 'viewer'], [RESPONDER, 'responder']]) {
		await form.locator('input[name="name"]').fill(name);
		await form.locator('select[name="role"]').selectOption(role);
		await pw.nth(0).fill(PASSWORD);
		await pw.nth(1).fill(PASSWORD);
		await form.locator('button[type="submit"]').click();
		await users.locator('table.data tbody tr', { hasText: name }).waitFor();
	}
	let list = (await t.apiGet(admin, '/users')).users || [];
	t.equal('viewer added', (list.find((u) => u.name === VIEWER) || {}).role, 'viewer');
	t.equal('responder added', (list.find((u) => u.name === RESPONDER) || {}).role, 'responder');
	t.equal('own role cannot be changed here', await users
	    .locator('table.data tbody tr:has(strong:text-is("admin")) select').isDisabled(), true);

	// Change a role, and back.
	const rsel = users.locator('table.data tbody tr', { hasText: RESPONDER }).locator('select');
	await rsel.selectOption('admin');
	await t.until('rico is admin', async () => ((await t.apiGet(admin, '/users')).users || [])
	    .some((u) => u.name === RESPONDER && u.role === 'admin'));
	await rsel.selectOption('responder');
	await t.until('rico is responder again', async () =>
	    ((await t.apiGet(admin, '/users')).users || [])
		.some((u) => u.name === RESPONDER && u.role === 'responder'));
	await t.screenshot(admin, 'settings-users');

	// A token: shown once, works as a Bearer token, revoked.
	const tokens = admin.locator('[data-card="tokens"]');
	const tokForm = tokens.locator('form');
	await tokForm.locator('input[name="name"]').fill('ci');
	await tokForm.locator('button[type="submit"]').click();
	const tokIn = admin.locator('.token-once input');
	await tokIn.waitFor();
	const token = await tokIn.inputValue();
	t.check('a token is shown', token.length > 20, token);
	let r = await fetch(`${t.base}/api/v1/session`, { headers: { Authorization: `Bearer ${token}` } });
	t.equal('the token works', r.status, 200);
	await t.screenshot(admin, 'settings-token');
	const tokRow = tokens.locator('table.data tbody tr', { hasText: 'ci' });
	await tokRow.locator('button.danger').click();
	await admin.locator('dialog[open] button[value="ok"]').click();
	await t.until('the token is revoked', async () => {
		const x = await fetch(`${t.base}/api/v1/session`,
		    { headers: { Authorization: `Bearer ${token}` } });
		return x.status === 401;
	});
	await t.pageIsClean(admin, 'admin settings');

	// The viewer reads but gets no controls.
	const vctx = await t.context();
	const viewer = await vctx.newPage();
	await t.login(viewer, VIEWER, PASSWORD);
	await viewer.goto(`${t.base}/#/incidents/${id}`);
	await viewer.locator('ol.steps, .card p.muted').first().waitFor();
	await viewer.locator('.inc-side .msg').waitFor();
	t.equal('no action forms for a viewer', await viewer.locator('[data-action]').count(), 0);
	const boxes = viewer.locator('ol.steps input[type="checkbox"]');
	const n = await boxes.count();
	let disabled = 0;
	for (let i = 0; i < n; i++)
		disabled += (await boxes.nth(i).isDisabled()) ? 1 : 0;
	t.equal('steps cannot be ticked by a viewer', disabled, n);
	await t.screenshot(viewer, 'viewer-incident');
	await viewer.locator('nav a[data-route="settings"]').click();
	await viewer.locator('.settings-grid .card').first().waitFor();
	t.equal('no user administration for a viewer',
	    await viewer.locator('[data-card="users"]').count(), 0);
	await t.pageIsClean(viewer, 'viewer');

	// The responder acts.
	const rctx = await t.context();
	const resp = await rctx.newPage();
	await t.login(resp, RESPONDER, PASSWORD);
	await resp.goto(`${t.base}/#/incidents/${id}`);
	const box = resp.locator('ol.steps li.step-open input[type="checkbox"]').first();
	await box.waitFor();
	const done = await resp.locator('ol.steps li.step-done').count();
	await box.click();
	await t.until('the responder ticked a step', async () =>
	    (await resp.locator('ol.steps li.step-done').count()) === done + 1);
	const inc = await t.apiGet(resp, `/incidents/${id}`);
	t.check('the step records the responder', (inc.steps || []).some((s) => s.who === RESPONDER));
	t.equal('responders have no user administration',
	    (await resp.request.get(`${t.base}/api/v1/users`)).status(), 403);
	await t.pageIsClean(resp, 'responder');

	// Deleting the viewer ends their session: their console goes back to
	// the login page at its next request.
	await admin.locator('nav a[data-route="settings"]').click();
	const vrow = admin.locator('[data-card="users"] table.data tbody tr', { hasText: VIEWER });
	await vrow.locator('button.danger').click();
	await admin.locator('dialog[open] button[value="ok"]').click();
	await vrow.waitFor({ state: 'detached' });
	list = (await t.apiGet(admin, '/users')).users || [];
	t.check('the viewer is gone', !list.some((u) => u.name === VIEWER));
	await viewer.locator('nav a[data-route="alerts"]').click();
	await viewer.locator('form.login-form').waitFor();
	t.equal('back at the login page', new URL(viewer.url()).hash, '#/login');
	r = await viewer.request.get(`${t.base}/api/v1/session`);
	t.equal('the session is gone', r.status(), 401);
	await t.pageIsClean(admin, 'admin after deleting');

	// Guessing passwords: after five failures the server refuses for a
	// while (429), and the login page says so.  Last, since the limit
	// also holds for this client's address.
	const gctx = await t.context();
	const guess = await gctx.newPage();
	await guess.goto(`${t.base}/#/login`);
	await guess.locator('form.login-form').waitFor();
	let said = '';
	for (let i = 0; i < 8 && !said.includes('Too many'); i++) {
		await guess.locator('input[name="user"]').fill('nobody');
		await guess.locator('input[name="password"]').fill(`guess-number-${i}`);
		// By keyboard: Enter in the password field submits.
		await guess.locator('input[name="password"]').press('Enter');
		await guess.locator('.login-msg [role="alert"]').waitFor();
		said = await guess.locator('.login-msg').innerText();
		await guess.locator('form.login-form button[type="submit"]:not([disabled])').waitFor();
	}
	t.contains('the rate limit is shown', said, 'Too many failed attempts. Try again in');
	await t.screenshot(guess, 'rate-limited');
	await t.pageIsClean(guess, 'rate-limited login');
});
