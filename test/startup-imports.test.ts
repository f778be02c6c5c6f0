// What the built CLI loads at start-up, recorded in real child processes by test/helpers/module-recorder.mjs.
// Guards the start-up budget: heavy packages (AWS SDK, SQL Server, LDAP, task UIs) are loaded only by
// the code that acts on the world, never by --help, validate, graph or schema; --help reads only the
// manifest (no command, no zod, no yaml); validate loads oclif, its own command and the shared chunks,
// nothing else from dist/.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const recorder = pathToFileURL(join(root, 'test', 'helpers', 'module-recorder.mjs')).href
const RUNBOOK = 'runbooks/giftcard-rehearsal.yaml'

const FORBIDDEN = [/^@aws-sdk\//, /^@smithy\//, /^mssql$/, /^tedious$/, /^ldapts$/, /^listr2$/, /^execa$/]
const isForbidden = (pkg: string) => FORBIDDEN.some((pattern) => pattern.test(pkg))

/** Markers that survive minification: a YAML tag URI, and zod's internal type names. */
const YAML_MARKER = 'tag:yaml.org,2002:'
const ZOD_MARKER = '$ZodType'

interface Loaded {
  /** Every bare specifier imported (before resolution, so a failed optional import counts too). */
  specifiers: string[]
  /** Every file loaded, as an absolute path. */
  files: string[]
}

const packageOf = (spec: string): string =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec)

/** The package a file belongs to: the path after its last node_modules/. */
function packageOfFile(file: string): string | undefined {
  const parts = file.split(sep)
  const at = parts.lastIndexOf('node_modules')
  if (at < 0) return undefined
  const name = parts[at + 1] ?? ''
  return name.startsWith('@') ? `${name}/${parts[at + 2] ?? ''}` : name
}

/** Packages bundled into a dist file, from its source map when there is one. */
function bundledPackages(file: string): string[] {
  const map = `${file}.map`
  if (!existsSync(map)) return []
  const { sources = [] } = JSON.parse(readFileSync(map, 'utf8')) as { sources?: string[] }
  return sources.flatMap((source) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)
    return match?.[1] ? [match[1]] : []
  })
}

/** Loaded files of dist/ that hold zod or yaml, by marker or by their source map. */
function parserFiles(l: Loaded): string[] {
  return distFiles(l).filter((f) => {
    const text = readFileSync(join(root, f), 'utf8')
    return (
      text.includes(YAML_MARKER) ||
      text.includes(ZOD_MARKER) ||
      bundledPackages(join(root, f)).some((pkg) => pkg === 'zod' || pkg === 'yaml')
    )
  })
}

let dir: string
const loaded = new Map<string, Loaded>()

/** Runs `node --import <recorder> ...nodeArgs` in the project root and reads back what it loaded. */
function record(nodeArgs: string[]): Loaded {
  const log = join(dir, `${loaded.size}-${nodeArgs.join(' ').replace(/\W+/g, '-').slice(0, 40)}.log`)
  const env: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_MODULE_LOG: log }
  delete env.NODE_OPTIONS
  const result = spawnSync(process.execPath, ['--import', recorder, ...nodeArgs], {
    cwd: root,
    env,
    encoding: 'utf8',
  })
  assert.equal(result.status, 0, `node ${nodeArgs.join(' ')} failed:\n${result.stderr}`)
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean)
  const specifiers: string[] = []
  const files = new Set<string>()
  for (const line of lines) {
    const [kind, value = ''] = line.split(/ (.*)/s)
    if (kind === 'spec') {
      if (!/^(node:|file:|data:|\.|\/)/.test(value)) specifiers.push(value)
    } else if (value.startsWith('file:')) files.add(fileURLToPath(value))
  }
  return { specifiers, files: [...files] }
}

function distFiles(l: Loaded): string[] {
  return l.files
    .filter((f) => f.startsWith(join(root, 'dist') + sep))
    .map((f) => relative(root, f).split(sep).join('/'))
}

describe('start-up imports of the built CLI', () => {
  before(() => {
    assert.ok(
      existsSync(join(root, 'dist', 'commands', 'validate.js')) &&
        existsSync(join(root, 'oclif.manifest.json')),
      'the CLI is not built: run npm run build first',
    )
    dir = mkdtempSync(join(tmpdir(), 'switchyard-imports-'))
    loaded.set('--help', record(['bin/run.js', '--help']))
    loaded.set('validate', record(['bin/run.js', 'validate', RUNBOOK]))
    loaded.set('graph', record(['bin/run.js', 'graph', RUNBOOK]))
    loaded.set('schema', record(['bin/run.js', 'schema']))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('the recorder sees what validate loads (so the checks below cannot pass vacuously)', () => {
    const validate = loaded.get('validate') as Loaded
    const dist = distFiles(validate)
    assert.ok(dist.includes('dist/commands/validate.js'), `validate loaded ${dist.join(', ')}`)
    assert.ok(
      parserFiles(validate).length > 0,
      `validate loaded no chunk holding zod or yaml: ${dist.join(', ')}`,
    )
  })

  it('the recorder sees CommonJS modules too (require() does not go through ESM hooks)', () => {
    const cjs = record(['--input-type=commonjs', '-e', "require('fastest-levenshtein')"])
    assert.ok(
      cjs.files.some((f) => packageOfFile(f) === 'fastest-levenshtein'),
      `the recorder saw ${cjs.files.join(', ')}`,
    )
  })

  for (const command of ['--help', 'validate', 'graph', 'schema'])
    it(`${command} loads none of @aws-sdk/*, @smithy/*, mssql, tedious, ldapts, listr2, execa`, () => {
      const l = loaded.get(command) as Loaded
      const offenders = new Set([
        ...l.specifiers.map(packageOf).filter(isForbidden),
        ...l.files.flatMap((f) => packageOfFile(f) ?? []).filter(isForbidden),
        ...l.files
          .filter((f) => f.startsWith(join(root, 'dist') + sep))
          .flatMap(bundledPackages)
          .filter(isForbidden)
          .map((pkg) => `${pkg} (bundled)`),
      ])
      assert.deepEqual([...offenders], [])
    })

  it('--help reads only the manifest: no command, no zod, no yaml', () => {
    const l = loaded.get('--help') as Loaded
    assert.deepEqual(
      distFiles(l).filter((f) => f.startsWith('dist/commands/')),
      [],
    )
    assert.deepEqual(parserFiles(l), [])
    assert.deepEqual(
      l.files.filter((f) => ['zod', 'yaml'].includes(packageOfFile(f) ?? '')),
      [],
    )
    assert.deepEqual(
      l.specifiers.filter((s) => ['zod', 'yaml'].includes(packageOf(s))),
      [],
    )
  })

  it('validate loads nothing from dist/ but oclif, its own command and the chunks', () => {
    const others = distFiles(loaded.get('validate') as Loaded).filter(
      (f) => !['dist/cli/oclif.js', 'dist/commands/validate.js'].includes(f) && !f.startsWith('dist/chunks/'),
    )
    assert.deepEqual(others, [])
  })
})
