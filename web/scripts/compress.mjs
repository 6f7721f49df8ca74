// Precompresses the built client: next to each text asset of dist/ it
// writes NAME.br (brotli, best quality) and NAME.gz (gzip, level 9), which
// chatd embeds and serves to browsers that accept them (web/embed.go), so
// nothing is compressed per request. Run by `npm run build`.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const TEXT = /\.(js|mjs|css|html|svg|json|txt|map|webmanifest)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

let n = 0;
for (const p of files(DIST)) {
  if (!TEXT.test(p)) continue;
  const raw = readFileSync(p);
  if (raw.length < 256) continue; // not worth a header
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  if (br.length < raw.length) writeFileSync(p + '.br', br);
  if (gz.length < raw.length) writeFileSync(p + '.gz', gz);
  n++;
}
console.log(`precompressed ${n} files in dist/ (.br, .gz)`);
