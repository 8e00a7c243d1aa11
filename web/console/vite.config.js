// Builds web/console into dist/ for certseald (web.console_dir), served at /console/. Hashed files go to
// dist/assets/ (cached a year by the server); each file gets a .gz copy beside it, and the build
// prints the gzip size of the initial load (index.html and what it loads at once).
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const shared = fileURLToPath(new URL('../shared', import.meta.url));

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function precompressAndReport() {
  let outDir = 'dist';
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
      // The initial load: index.html, its scripts, styles and modulepreloads.
      const html = readFileSync(join(outDir, 'index.html'), 'utf8');
      const refs = [...html.matchAll(/(?:src|href)="\/console\/([^"]+)"/g)].map((m) => m[1]);
      const initial = ['index.html', ...refs].filter((r) => r in sizes);
      const total = initial.reduce((n, r) => n + sizes[r], 0);
      const report = { initial_gzip_bytes: total, files: Object.fromEntries(initial.map((r) => [r, sizes[r]])) };
      writeFileSync(join(outDir, 'build-report.json'), JSON.stringify(report, null, 2) + '\n');
      console.log(`certseal: initial load of /console/ is ${(total / 1024).toFixed(1)} KiB gzip (${initial.length} files)`);
      if (total > 250 * 1024) throw new Error('the initial load is over the 250 KB gzip budget');
    },
  };
}

export default defineConfig({
  base: '/console/',
  plugins: [vue(), precompressAndReport()],
  // web/shared has no node_modules of its own: its imports resolve from this app.
  resolve: { alias: { '@shared': shared }, dedupe: ['vue', 'vue-i18n', 'element-plus'] },
  server: { fs: { allow: ['..'] } },
  build: {
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
});
