// Bundles each command with the small libraries every command uses (zod, yaml), split into shared
// chunks: start-up then reads a few files instead of hundreds. Large dependencies (oclif, and later
// the AWS SDK, mssql, ldapts) stay external and are imported only by the code that needs them.
import { readdirSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

const BUNDLED = new Set(['zod', 'yaml', 'fastest-levenshtein'])
const packageName = (spec) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]

const externalUnlessBundled = {
  name: 'external-unless-bundled',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('node:') || !BUNDLED.has(packageName(args.path))
        ? { path: args.path, external: true }
        : undefined,
    )
  },
}

rmSync('dist', { recursive: true, force: true })
await build({
  entryPoints: readdirSync('src/commands')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `src/commands/${f}`),
  outdir: 'dist/commands',
  chunkNames: '../chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.5',
  sourcemap: true,
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'linked',
  plugins: [externalUnlessBundled],
  // Bundled CommonJS (fastest-levenshtein) calls require(); give the ESM bundle one.
  banner: {
    js: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
