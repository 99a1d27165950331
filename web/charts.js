// charts.js - the overview's charts, drawn as SVG: an area chart of
// events per second and stacked bars of alerts per level and hour.
// They scale with their box (a viewBox, width 100% in CSS); each one has
// a text summary for screen readers, and each point or bar a tooltip.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { s } from './dom.js';
import { t, fmtTime, fmtNumber, toDate } from './i18n.js';
import { LEVEL_CLASSES } from './ui.js';

const W = 640;
const PAD = { l: 44, r: 10, t: 10, b: 24 };

// A round upper bound for an axis: 1, 2, 5, 10, 20, 50, ...
function niceMax(v) {
	if (!(v > 0))
		return 1;
	const p = 10 ** Math.floor(Math.log10(v));
	for (const m of [1, 2, 5, 10]) {
		if (v <= m * p)
			return m * p;
	}
	return 10 * p;
}

function fmtAxis(v) {
	return fmtNumber(Math.round(v * 100) / 100);
}

function grid(H, max) {
	const out = [];
	for (const f of [0, 0.5, 1]) {
		const y = PAD.t + (H - PAD.t - PAD.b) * (1 - f);
		out.push(s('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: y,
		    y2: y }));
		out.push(s('text', { class: 'axis', x: PAD.l - 6, y: y + 4,
		    'text-anchor': 'end' }, fmtAxis(max * f)));
	}
	return out;
}

function xLabels(H, times, xOf) {
	const out = [];
	const n = times.length;
	if (n === 0)
		return out;
	const idx = n === 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
	for (const i of idx) {
		out.push(s('text', { class: 'axis', x: xOf(i), y: H - 6,
		    'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' },
		    fmtTime(times[i])));
	}
	return out;
}

// points: [{t, n}], oldest first.
export function areaChart(points, label) {
	const H = 200;
	const pts = (Array.isArray(points) ? points : []).filter((p) =>
	    p && toDate(p.t) && Number.isFinite(Number(p.n)));
	const vals = pts.map((p) => Number(p.n));
	const max = niceMax(Math.max(0, ...vals));
	const iw = W - PAD.l - PAD.r;
	const ih = H - PAD.t - PAD.b;
	const xOf = (i) => PAD.l + (pts.length <= 1 ? iw : (iw * i) / (pts.length - 1));
	const yOf = (v) => PAD.t + ih * (1 - v / max);
	const peak = vals.length ? Math.max(...vals) : 0;
	const last = vals.length ? vals[vals.length - 1] : 0;
	const summary = t('chart.eps.summary', { last: fmtAxis(last),
	    peak: fmtAxis(peak), n: pts.length });
	const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`,
	    role: 'img', 'aria-label': `${label}: ${summary}` });
	svg.append(...grid(H, max));
	if (pts.length > 0) {
		let line = '';
		pts.forEach((p, i) => {
			line += `${i ? 'L' : 'M'}${xOf(i).toFixed(1)} ${yOf(vals[i]).toFixed(1)}`;
		});
		const area = `${line}L${xOf(pts.length - 1).toFixed(1)} ${PAD.t + ih}` +
		    `L${xOf(0).toFixed(1)} ${PAD.t + ih}Z`;
		svg.append(s('path', { class: 'area', d: area }),
		    s('path', { class: 'line', d: line }));
		// Invisible columns for the tooltips.
		const colW = iw / Math.max(1, pts.length);
		pts.forEach((p, i) => {
			svg.append(s('rect', { class: 'hit', x: xOf(i) - colW / 2,
			    y: PAD.t, width: colW, height: ih },
			    s('title', t('chart.eps.point', { time: fmtTime(p.t),
				n: fmtAxis(vals[i]) }))));
		});
	} else {
		svg.append(s('text', { class: 'axis', x: W / 2, y: H / 2,
		    'text-anchor': 'middle' }, t('chart.nodata')));
	}
	svg.append(...xLabels(H, pts.map((p) => p.t), xOf));
	return svg;
}

// buckets: [{t, low, medium, high, critical}], oldest first.
export function levelBars(buckets, label) {
	const H = 220;
	const bs = (Array.isArray(buckets) ? buckets : []).filter((b) =>
	    b && toDate(b.t));
	const tot = (b) => LEVEL_CLASSES.reduce((a, k) => a + (Number(b[k]) || 0), 0);
	const totals = bs.map(tot);
	const max = niceMax(Math.max(0, ...totals));
	const iw = W - PAD.l - PAD.r;
	const ih = H - PAD.t - PAD.b;
	const slot = iw / Math.max(1, bs.length);
	const bw = Math.max(2, slot * 0.72);
	const sums = Object.fromEntries(LEVEL_CLASSES.map((k) =>
	    [k, bs.reduce((a, b) => a + (Number(b[k]) || 0), 0)]));
	const summary = LEVEL_CLASSES.map((k) =>
	    `${t(`sev.${k}`)} ${fmtNumber(sums[k])}`).join(', ');
	const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`,
	    role: 'img', 'aria-label': `${label}: ${summary}` });
	svg.append(...grid(H, max));
	bs.forEach((b, i) => {
		const x = PAD.l + slot * i + (slot - bw) / 2;
		let y = PAD.t + ih;
		const g = s('g', {});
		for (const k of LEVEL_CLASSES) {
			const v = Number(b[k]) || 0;
			if (v <= 0)
				continue;
			const hgt = (ih * v) / max;
			y -= hgt;
			g.append(s('rect', { class: `bar sev-${k}`, x: x.toFixed(1),
			    y: y.toFixed(1), width: bw.toFixed(1),
			    height: Math.max(0.5, hgt).toFixed(1) }));
		}
		const tip = `${fmtTime(b.t)} — ` + LEVEL_CLASSES.map((k) =>
		    `${t(`sev.${k}`)} ${fmtNumber(Number(b[k]) || 0)}`).join(', ');
		g.append(s('rect', { class: 'hit', x: (PAD.l + slot * i).toFixed(1),
		    y: PAD.t, width: slot.toFixed(1), height: ih }, s('title', tip)));
		svg.append(g);
	});
	if (bs.length === 0) {
		svg.append(s('text', { class: 'axis', x: W / 2, y: H / 2,
		    'text-anchor': 'middle' }, t('chart.nodata')));
	}
	svg.append(...xLabels(H, bs.map((b) => b.t),
	    (i) => PAD.l + slot * i + slot / 2));
	return svg;
}

// A bar for a share of a whole, for lists (categories, queues).
export function shareBar(value, max, kind) {
	const f = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
	return s('svg', { class: `share ${kind || ''}`.trim(), viewBox: '0 0 100 8',
	    preserveAspectRatio: 'none', 'aria-hidden': 'true' },
	s('rect', { class: 'share-bg', x: 0, y: 0, width: 100, height: 8, rx: 2 }),
	s('rect', { class: 'share-fg', x: 0, y: 0, width: (100 * f).toFixed(2),
	    height: 8, rx: 2 }));
}
