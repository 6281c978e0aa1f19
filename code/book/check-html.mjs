// check-html.mjs: read the HTML book as a reader's browser does.
//
//   node code/book/check-html.mjs HTML_DIR SCREENSHOT.png [PAGE.html]
//
// Opens every page of HTML_DIR in Debian's headless Chromium (through
// playwright-core) and reports, one line each, every image that did not
// load, every stylesheet or other request that failed, every script error,
// and every link to a page that does not exist or to an anchor that the
// page does not have.  Saves a full-page screenshot of PAGE (default: the
// first chapter, else index.html).  Exit status: 0 when nothing is broken.
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const [dir, shot, shotPage] = process.argv.slice(2);
if (!dir || !shot) {
	console.error("usage: check-html.mjs HTML_DIR SCREENSHOT.png [PAGE.html]");
	process.exit(2);
}
const root = path.resolve(dir);
const pages = fs.readdirSync(root).filter((f) => f.endsWith(".html")).sort();
if (pages.length === 0) {
	console.error(`check-html: no HTML pages in ${dir}`);
	process.exit(2);
}
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const watchdog = setTimeout(() => {
	console.error("check-html: timeout after 180 s");
	process.exit(3);
}, 180000);

const problems = [];
const ids = new Map(); // file path -> Set of ids
const links = []; // { from, href }
let images = 0;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "fastuml-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
	executablePath: chromiumPath,
	headless: true,
	viewport: { width: 1100, height: 900 },
	args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
	const page = await context.newPage();
	let current = "";
	page.on("requestfailed", (r) => problems.push(`${current}: request failed: ${r.url()} (${r.failure()?.errorText})`));
	page.on("pageerror", (e) => problems.push(`${current}: script error: ${e.message}`));
	for (const p of pages) {
		current = p;
		const file = path.join(root, p);
		await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: 30000 });
		const seen = await page.evaluate(() => ({
			ids: [...document.querySelectorAll("[id]")].map((e) => e.id),
			names: [...document.querySelectorAll("a[name]")].map((e) => e.name),
			imgs: [...document.images].map((i) => ({ src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0 })),
			sheets: [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => ({ href: l.getAttribute("href"), ok: !!l.sheet })),
			hrefs: [...document.querySelectorAll("a[href]")].map((a) => a.href),
		}));
		ids.set(file, new Set([...seen.ids, ...seen.names]));
		for (const i of seen.imgs) {
			images++;
			if (!i.ok) problems.push(`${p}: broken image: ${i.src}`);
		}
		for (const s of seen.sheets) if (!s.ok) problems.push(`${p}: stylesheet did not load: ${s.href}`);
		for (const href of seen.hrefs) links.push({ from: p, href });
	}
	for (const { from, href } of links) {
		const u = new URL(href);
		if (u.protocol !== "file:") continue; // the book checks no remote links
		const target = fileURLToPath(u);
		if (!fs.existsSync(target)) {
			problems.push(`${from}: broken link: ${path.relative(root, target)}`);
			continue;
		}
		const frag = decodeURIComponent(u.hash.slice(1));
		if (frag && !(ids.get(target)?.has(frag))) {
			problems.push(`${from}: broken anchor: ${path.relative(root, target)}#${frag}`);
		}
	}
	const want = shotPage || pages.find((p) => /^\d\d-/.test(p)) || "index.html";
	await page.setViewportSize({ width: 1100, height: 1400 });
	await page.goto(pathToFileURL(path.join(root, want)).href, { waitUntil: "load" });
	await page.screenshot({ path: shot, fullPage: false });
} finally {
	await context.close();
	fs.rmSync(profile, { recursive: true, force: true });
	clearTimeout(watchdog);
}
for (const p of problems) console.log(p);
console.log(`check-html: ${pages.length} pages, ${links.length} links, ${images} images, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
