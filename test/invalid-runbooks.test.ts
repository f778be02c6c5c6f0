// The corpus of broken runbooks: every file in test/fixtures/invalid/ holds one defect, and
// expected.json says where `validate` must report it and with what words. Then hostile inputs,
// generated here into a temp dir: each must be refused quickly with a diagnostic, never a crash.
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

const root = join(import.meta.dirname, '..')
const folder = 'test/fixtures/invalid'

interface Expectation {
  /** LINE:COL of the diagnostic in the fixture (or in `file`). */
  position?: string
  /** For problems on the command line: the flag the diagnostic names instead of a position. */
  flag?: string
  /** The file the diagnostic is in, relative to the folder, when it is not the fixture itself. */
  file?: string
  message: string
  hint?: string
  args?: string[]
  /** How many errors validate reports in all (default 1): one defect, no cascade of follow-on noise. */
  errors?: number
}

const manifest: Record<string, Expectation> = JSON.parse(
  readFileSync(join(root, folder, 'expected.json'), 'utf8'),
)
const fixtures = readdirSync(join(root, folder))
  .filter((f) => f.endsWith('.yaml'))
  .sort()

interface Run {
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  ms: number
}

/** Runs the real CLI from the repo root, without blocking, so tests can run a few at once. */
function switchyard(...args: string[]): Promise<Run> {
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/run.js', ...args],
      // The timeout only turns a hang into a failure; how fast validate is lives in npm run bench.
      { cwd: root, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, signal: error?.signal ?? null, stdout, stderr, ms: performance.now() - started })
      },
    )
  })
}

function noStackTrace(output: string): void {
  assert.doesNotMatch(output, /^\s+at /m, `stack trace in:\n${output}`)
  assert.doesNotMatch(output, /(^|\s)\w*Error:/m, `raw error in:\n${output}`)
}

const lines = (text: string) => text.split('\n')

/** The diagnostic line for `where` holding `message`, and its index; fails listing what was printed. */
function findDiagnostic(stderr: string, where: string, message: string): number {
  const index = lines(stderr).findIndex((l) => l.startsWith(`${where} error: `) && l.includes(message))
  assert.notEqual(index, -1, `expected "${where} error: ...${message}..." in:\n${stderr}`)
  return index
}

describe('the corpus of invalid runbooks', () => {
  test('every fixture has an expectation in expected.json and every expectation a fixture', () => {
    const listed = Object.keys(manifest).sort()
    assert.deepEqual(
      fixtures.filter((f) => !listed.includes(f)),
      [],
      'fixtures missing from expected.json',
    )
    assert.deepEqual(
      listed.filter((f) => !fixtures.includes(f)),
      [],
      'expected.json names files that do not exist',
    )
    assert.ok(fixtures.length >= 34, `only ${fixtures.length} fixtures`)
  })

  test('every expectation names a place (LINE:COL or a flag) and a message', () => {
    for (const [name, e] of Object.entries(manifest)) {
      assert.ok((e.position === undefined) !== (e.flag === undefined), `${name}: position or flag, not both`)
      if (e.position !== undefined) assert.match(e.position, /^\d+:\d+$/, name)
      assert.ok(e.message.length > 0, `${name}: empty message`)
      if (e.args) assert.ok(Array.isArray(e.args) && e.args.every((a) => typeof a === 'string'), name)
      if (e.errors !== undefined) assert.ok(Number.isInteger(e.errors) && e.errors > 0, name)
    }
  })
})

describe('validate reports each defect at its place, with its reason', { concurrency: 4 }, () => {
  for (const name of fixtures) {
    const e = manifest[name]
    if (!e) continue // reported by the manifest test above
    const where = e.flag ?? `${folder}/${e.file ?? name}:${e.position}`
    test(`${name}: exit 2 with "${where} error: ...${e.message}"`, async () => {
      const { code, stderr } = await switchyard('validate', `${folder}/${name}`, ...(e.args ?? []))
      assert.equal(code, 2, `exit code, stderr:\n${stderr}`)
      const index = findDiagnostic(stderr, where, e.message)
      if (e.hint !== undefined) {
        const hint = lines(stderr)[index + 1] ?? ''
        assert.ok(
          hint.startsWith('  hint: ') && hint.includes(e.hint),
          `expected hint "${e.hint}" in:\n${stderr}`,
        )
      }
      const errors = lines(stderr).filter((l) => /^\S.* error: /.test(l) && !/^\d+ errors?: /.test(l))
      assert.equal(errors.length, e.errors ?? 1, `errors reported:\n${stderr}`)
      noStackTrace(stderr)
    })
  }

  test('--json carries the same diagnostic: file, line, column, message and hint', async () => {
    const name = 'unknown-step-key.yaml'
    const e = manifest[name] as Expectation
    const [line, column] = (e.position as string).split(':').map(Number)
    const { code, stdout, stderr } = await switchyard('validate', `${folder}/${name}`, '--json')
    assert.equal(code, 2)
    noStackTrace(stderr)
    const report = JSON.parse(stdout)
    assert.equal(report.ok, false)
    assert.equal(report.file, `${folder}/${name}`)
    const found = report.diagnostics.find(
      (d: { message: string }) => typeof d.message === 'string' && d.message.includes(e.message),
    )
    assert.ok(found, `no diagnostic with "${e.message}" in ${stdout}`)
    assert.equal(found.file, `${folder}/${name}`)
    assert.equal(found.line, line)
    assert.equal(found.column, column)
    assert.equal(found.severity, 'error')
    assert.ok(typeof found.hint === 'string' && found.hint.includes(e.hint as string), found.hint)
  })
})

// ---------- hostile inputs ----------

interface Hostile {
  what: string
  file: string
  /** Writes the input; the file is the runbook argument. */
  make: (path: string) => void
  reason: RegExp
  /** LINE:COL, when the input has a place to point at; 1:1 otherwise. */
  position?: string
}

const MB = 1024 * 1024

/** Writes `count` copies of `chunk` without building the whole file in memory. */
function writeRepeated(path: string, head: string, chunk: string | ((i: number) => string), count: number) {
  const fd = openSync(path, 'w')
  try {
    writeSync(fd, head)
    let buffer = ''
    for (let i = 0; i < count; i++) {
      buffer += typeof chunk === 'string' ? chunk : chunk(i)
      if (buffer.length > MB) {
        writeSync(fd, buffer)
        buffer = ''
      }
    }
    writeSync(fd, buffer)
  } finally {
    closeSync(fd)
  }
}

const laughs = () => {
  let text = 'lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
  for (let i = 1; i <= 9; i++)
    text += `lol${i}: &a${i} [${Array(10)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`
  return text
}

const hostile: Hostile[] = [
  {
    what: 'a 50 MB file',
    file: 'huge.yaml',
    make: (p) => writeRepeated(p, 'version: 1\n', '# filler filler filler filler filler filler filler\n', MB),
    reason: /file is 5\d\.\d MB; a runbook may be at most \d+ MB/,
    position: '1:1',
  },
  {
    what: 'flow sequences nested 10,000 deep',
    file: 'deep-flow.yaml',
    make: (p) => writeFileSync(p, `${'['.repeat(10_000)}${']'.repeat(10_000)}\n`),
    reason: /nests deeper than \d+ levels/,
    position: '1:65',
  },
  {
    what: 'an unclosed flow nest 10,000 deep',
    file: 'deep-flow-unclosed.yaml',
    make: (p) => writeFileSync(p, `phases: ${'['.repeat(10_000)}\n`),
    reason: /nests deeper than \d+ levels/,
  },
  {
    what: 'block mappings nested 10,000 deep (50 MB of indentation)',
    file: 'deep-block.yaml',
    make: (p) => writeRepeated(p, '', (i) => `${' '.repeat(i)}k${i}:\n`, 10_000),
    reason: /file is \d+\.\d MB; a runbook may be at most \d+ MB/,
    position: '1:1',
  },
  {
    what: 'block mappings nested 4,000 deep (under the size limit, so the parser sees it)',
    file: 'deep-block-small.yaml',
    make: (p) => writeRepeated(p, '', (i) => `${' '.repeat(i)}k:\n`, 4_000),
    reason: /nests deeper than \d+ levels/,
    position: '65:65',
  },
  {
    what: 'block sequences nested 10,000 deep on one line',
    file: 'deep-dash.yaml',
    make: (p) => writeFileSync(p, `${'- '.repeat(10_000)}x\n`),
    reason: /nests deeper than \d+ levels/,
    position: '1:129',
  },
  {
    what: 'a billion laughs: 9 levels of 10 aliases',
    file: 'laughs.yaml',
    make: (p) => writeFileSync(p, laughs()),
    reason: /aliases expand too far/,
    position: '2:12',
  },
  {
    what: 'a merge-key alias bomb',
    file: 'merge-bomb.yaml',
    make: (p) => {
      let text = 'm0: &m0 {k: v}\n'
      for (let i = 1; i <= 30; i++)
        text += `m${i}: &m${i} {<<: [${Array(10)
          .fill(`*m${i - 1}`)
          .join(', ')}], k${i}: v}\n`
      writeFileSync(p, text)
    },
    reason: /aliases expand too far/,
  },
  {
    what: 'binary garbage (random bytes with NUL)',
    file: 'garbage.yaml',
    make: (p) => writeFileSync(p, Buffer.concat([randomBytes(4096), Buffer.from([0, 0]), randomBytes(4096)])),
    reason: /not UTF-8 text|NUL byte/,
  },
  {
    what: 'UTF-8 text with a NUL byte',
    file: 'nul.yaml',
    make: (p) => writeFileSync(p, 'version: 1\nname: run\0book\n'),
    reason: /contains a NUL byte: it is binary, not YAML/,
    position: '2:10',
  },
  {
    what: 'invalid UTF-8',
    file: 'latin1.yaml',
    make: (p) => writeFileSync(p, Buffer.from('version: 1\nname: caf\xe9\n', 'latin1')),
    reason: /not UTF-8 text: byte 0xe9/,
    position: '2:10',
  },
  {
    what: 'an empty file',
    file: 'empty.yaml',
    make: (p) => writeFileSync(p, ''),
    reason: /runbook is empty/,
    position: '1:1',
  },
  {
    what: 'a file with only comments',
    file: 'comments.yaml',
    make: (p) => writeFileSync(p, '# a runbook\n# to be written\n'),
    reason: /runbook is empty/,
    position: '1:1',
  },
  {
    what: 'a directory',
    file: 'a-directory.yaml',
    make: (p) => mkdirSync(p),
    reason: /is a directory, not a runbook file/,
    position: '1:1',
  },
  {
    what: 'a character device that never ends (/dev/zero, through a symlink)',
    file: 'zero.yaml',
    make: (p) => symlinkSync('/dev/zero', p),
    reason: /is a character device, not a regular file: refusing to read it/,
    position: '1:1',
  },
  {
    what: 'a named pipe no one writes to',
    file: 'pipe.yaml',
    make: (p) => execFileSync('mkfifo', [p]),
    reason: /is a named pipe, not a regular file: refusing to read it/,
    position: '1:1',
  },
  {
    what: 'a missing file',
    file: 'missing.yaml',
    make: () => {},
    reason: /no such file/,
    position: '1:1',
  },
  {
    what: 'a cycle of 20,000 needs (deeper than the call stack)',
    file: 'long-cycle.yaml',
    make: (p) =>
      writeRepeated(
        p,
        'version: 1\nname: long\nphases:\n  - id: only\n    steps:\n',
        (i) => `      - { id: s${i}, uses: noop, needs: s${(i + 1) % 20_000} }\n`,
        20_000,
      ),
    reason: /needs form a cycle: s0 -> s1 -> .* -> s19999 -> s0 \(20000 steps\)/,
    position: '6:38',
  },
]

describe('validate refuses hostile input with a diagnostic and exit 2, never hanging', {
  concurrency: 4,
}, () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-hostile-'))
    for (const h of hostile) h.make(join(dir, h.file))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  for (const h of hostile) {
    test(`${h.what}: exit 2, saying why`, async () => {
      const path = join(dir, h.file)
      const { code, signal, stderr, ms } = await switchyard('validate', path)
      assert.equal(signal, null, `killed by ${signal} after ${Math.round(ms)} ms`)
      assert.equal(code, 2, `exit code, stderr:\n${stderr.slice(0, 2000)}`)
      noStackTrace(stderr)
      const first = lines(stderr)[0] ?? ''
      assert.match(first, /^\S+:\d+:\d+ error: /)
      assert.ok(first.startsWith(`${path}:`), `names the file: ${first}`)
      assert.match(first, h.reason)
      if (h.position)
        assert.ok(first.startsWith(`${path}:${h.position} error: `), `at ${h.position}: ${first}`)
    })
  }
})
