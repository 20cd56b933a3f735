import { openInChromium } from './src/report/html/png.ts';
const [file, out, y = '0', h = '1000'] = process.argv.slice(2);
const o = await openInChromium(file, { width: 1400, height: 1000 });
await o.page.screenshot({ path: out, clip: { x: 0, y: Number(y), width: 1400, height: Number(h) }, fullPage: true });
console.log(o.errors, o.requests);
await o.close();
