// icons.js - the console's icons, drawn for mamori: 24x24 line drawings
// in the current text colour, built as SVG elements (no icon font, no
// markup strings).  Decorative: hidden from screen readers, so the
// button or link that holds one must carry its own text or label.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { s } from './dom.js';

const PATHS = {
	// the mark: a shield (守り, protection) with a check
	shield: ['M12 2.5 4.5 5.5v6c0 4.6 3.2 8.6 7.5 10 4.3-1.4 7.5-5.4 7.5-10v-6Z',
	    'm8.5 12 2.5 2.5 4.5-5'],
	overview: ['M3.5 3.5h7v9h-7Z', 'M13.5 3.5h7v5h-7Z', 'M13.5 11.5h7v9h-7Z',
	    'M3.5 15.5h7v5h-7Z'],
	alert: ['M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2h-15Z', 'M10 20.5a2 2 0 0 0 4 0'],
	incident: ['M5 21V3.5', 'M5 4h11l-2 4 2 4H5'],
	logs: ['M4 5h16', 'M4 9.5h16', 'M4 14h10', 'M4 18.5h13'],
	hosts: ['M4 4h16v6H4Z', 'M4 14h16v6H4Z', 'M7.5 7h.01', 'M7.5 17h.01',
	    'M11 7h5', 'M11 17h5'],
	settings: ['M12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7Z',
	    'M12 2.5v3', 'M12 18.5v3', 'M2.5 12h3', 'M18.5 12h3',
	    'm5.3 5.3 2.1 2.1', 'm16.6 16.6 2.1 2.1', 'm5.3 18.7 2.1-2.1',
	    'm16.6 7.4 2.1-2.1'],
	logout: ['M14 4h5v16h-5', 'M10 8l-4 4 4 4', 'M6 12h10'],
	search: ['M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13Z', 'm15.5 15.5 5 5'],
	refresh: ['M19.5 12a7.5 7.5 0 1 1-2.2-5.3', 'M19.5 4v4.5H15'],
	download: ['M12 4v11', 'm7.5 10.5 4.5 4.5 4.5-4.5', 'M4.5 19.5h15'],
	user: ['M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Z', 'M4.5 20.5a7.5 7.5 0 0 1 15 0'],
	block: ['M12 3.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17Z', 'm6 6 12 12'],
	unblock: ['M12 3.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17Z', 'm8.5 12 2.5 2.5 4.5-5'],
	notify: ['M3.5 6.5h17v11h-17Z', 'm3.5 7 8.5 6 8.5-6'],
	check: ['m5 12.5 4.5 4.5 9.5-10'],
	plus: ['M12 5v14', 'M5 12h14'],
	trash: ['M4.5 6.5h15', 'M9.5 6.5V4h5v2.5', 'M6.5 6.5l1 14h9l1-14'],
	key: ['M8 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8Z', 'M12 12h8.5', 'M17 12v3.5', 'M20 12v2.5'],
	globe: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18Z', 'M3 12h18',
	    'M12 3c2.5 2.6 3.5 5.6 3.5 9s-1 6.4-3.5 9c-2.5-2.6-3.5-5.6-3.5-9S9.5 5.6 12 3Z'],
	clock: ['M12 3.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17Z', 'M12 7.5V12l3 2'],
	chevron: ['m9 5.5 6.5 6.5L9 18.5'],
	back: ['m15 5.5-6.5 6.5 6.5 6.5'],
	note: ['M5 3.5h10l4 4v13H5Z', 'M14.5 3.5V8H19', 'M8.5 12.5h7', 'M8.5 16.5h5'],
	queue: ['M4 7h16', 'M4 12h16', 'M4 17h16', 'M17 4.5 20 7l-3 2.5'],
	signal: ['M4 20v-4', 'M9 20v-8', 'M14 20V8', 'M19 20V4'],
};

export function icon(name, extraClass) {
	const paths = PATHS[name] || PATHS.shield;
	return s('svg', {
		class: extraClass ? `icon ${extraClass}` : 'icon',
		viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor',
		'stroke-width': 1.8, 'stroke-linecap': 'round',
		'stroke-linejoin': 'round', 'aria-hidden': 'true',
		focusable: 'false',
	}, paths.map((d) => s('path', { d })));
}
