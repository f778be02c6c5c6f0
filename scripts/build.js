// Bundles each command, and oclif itself, split into shared chunks: start-up then reads a few files
// instead of hundreds. Bundled: oclif with everything it depends on (every start-up runs it: as ~140
// CommonJS files it cost ~50 ms of each start, see BENCHMARKS.md), and the small libraries every
// command uses (zod, yaml). Large dependencies (the AWS SDK, mssql, ldapts, execa, listr2) stay
// external and are imported only by the code that needs them.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'

const BUNDLED = withDependencies(['@oclif/core', 'zod', 'yaml', 'js-yaml', 'fastest-levenshtein'])
const packageName = (spec) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]

/** The packages named and, transitively, the dependencies their package.json declares. */
function withDependencies(names) {
  const found = new Set()
  const seen = new Set()
  const visit = (name, from) => {
    const dir = packageDir(name, from)
    found.add(name)
    // Not installed (an optional dependency for another platform): esbuild reports it if it is used.
    if (dir === undefined || seen.has(dir)) return
    seen.add(dir)
    const { dependencies = {} } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    for (const dependency of Object.keys(dependencies)) visit(dependency, dir)
  }
  for (const name of names) visit(name, process.cwd())
  return found
}

/** Where Node would find package `name` from directory `from`: the nearest node_modules holding it. */
function packageDir(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

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
  entryPoints: [
    // Topics are folders: src/commands/sandbox/up.ts is `switchyard sandbox up`.
    ...readdirSync('src/commands', { recursive: true })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `src/commands/${f}`),
    // What bin/run.js runs: oclif's execute, from the same chunk of oclif the commands extend.
    'src/cli/oclif.ts',
    // package.json's oclif.hooks: a mistyped command gets "did you mean".
    'src/cli/command-not-found.ts',
  ],
  outdir: 'dist',
  outbase: 'src',
  chunkNames: 'chunks/[name]-[hash]',
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
  // Bundled CommonJS (oclif, fastest-levenshtein) calls require(); give the ESM bundle one.
  banner: {
    js: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
