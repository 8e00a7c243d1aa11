// The build step both web apps share: after Vite writes dist/, every text file gets a .gz copy
// beside it (certseald sends it to clients that accept gzip), dist/build-report.json records the
// gzip size of the initial load (index.html and what it loads at once), and the build fails when
// that load is over the 250 KB budget. Node built-ins only: web/shared has no node_modules.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const kBudgetBytes = 250 * 1024;

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

// mount: the path certseald serves the app under, e.g. "/app/".
export function precompressAndReport(mount) {
  let outDir = 'dist';
  const escaped = mount.replace(/[/]/g, '\\/');
  return {
    name: 'certseal-gzip-report',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      const sizes = {};
      for (const f of walk(outDir)) {
        if (f.endsWith('.gz')) continue;
        const data = readFileSync(f);
        const gz = gzipSync(data, { level: 9 });
        sizes[relative(outDir, f)] = gz.length;
        if (/\.(js|css|html|svg|json|wasm)$/.test(f) && gz.length < data.length) writeFileSync(`${f}.gz`, gz);
      }
      const html = readFileSync(join(outDir, 'index.html'), 'utf8');
      const refs = [...html.matchAll(new RegExp(`(?:src|href)="${escaped}([^"]+)"`, 'g'))].map((m) => m[1]);
      const initial = ['index.html', ...refs].filter((r) => r in sizes);
      const total = initial.reduce((n, r) => n + sizes[r], 0);
      const report = { initial_gzip_bytes: total, files: Object.fromEntries(initial.map((r) => [r, sizes[r]])) };
      writeFileSync(join(outDir, 'build-report.json'), JSON.stringify(report, null, 2) + '\n');
      console.log(`certseal: initial load of ${mount} is ${(total / 1024).toFixed(1)} KiB gzip (${initial.length} files)`);
      if (total > kBudgetBytes) throw new Error('the initial load is over the 250 KB gzip budget');
    },
  };
}
