import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { formatDiagnostic } from '../src/runbook/diagnostics.ts'
import { type LoadOptions, loadRunbook } from '../src/runbook/load.ts'

const dir = mkdtempSync(join(tmpdir(), 'switchyard-load-'))
after(() => rmSync(dir, { recursive: true, force: true }))

let counter = 0
function write(text: string, name = `runbook-${++counter}.yaml`): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

function load(text: string, options: Partial<LoadOptions> = {}) {
  const file = write(text)
  const result = loadRunbook({ file, ...options })
  const lines = result.diagnostics.map((d) => formatDiagnostic(d).replace(`${file}:`, ''))
  return { ...result, lines, file }
}

const header = 'version: 1\nname: t\n'

describe('loading runbooks', () => {
  test('anchors, aliases and merge keys behave as YAML says', () => {
    const { runbook, lines } = load(`${header}x-common: &common
  cwd: /srv
  env: { A: "1" }
phases:
  - id: p
    steps:
      - id: a
        uses: exec
        with: { <<: *common, command: "true" }
      - id: b
        uses: exec
        with:
          <<: *common
          cwd: /override
          command: ls
`)
    assert.deepEqual(lines, [])
    const [a, b] = runbook?.phases[0]?.steps ?? []
    assert.deepEqual(a?.with, { cwd: '/srv', env: { A: '1' }, command: 'true' })
    assert.deepEqual(b?.with, { cwd: '/override', env: { A: '1' }, command: 'ls' })
  })

  test('an unknown key brought in by a merge key is reported at the merged mapping', () => {
    const { lines } = load(`${header}x-common: &common
  bogus: 1
phases:
  - id: p
    steps:
      - id: a
        uses: exec
        with: { <<: *common, command: "true" }
`)
    assert.equal(lines.length, 1)
    assert.match(lines[0] ?? '', /^4:3 error: unknown key 'bogus'/)
  })

  test('a duplicate key is an error at the second occurrence', () => {
    const { lines, runbook } = load(`${header}phases:
  - id: p
    id: q
    steps: [{ id: a, uses: noop }]
`)
    assert.equal(runbook, undefined)
    assert.match(lines.join('\n'), /^5:5 error: YAML: duplicate key/m)
  })

  test('a second YAML document is refused where it starts', () => {
    const { lines } = load(`${header}phases: [{ id: p, steps: [{ id: a, uses: noop }] }]\n---\n${header}`)
    assert.match(lines[0] ?? '', /^4:1 error: file holds 2 YAML documents/)
  })

  test('every problem is reported in one pass, sorted by position', () => {
    const { lines } = load(`${header}params:
  zone: { required: true }
phases:
  - id: a
    steps:
      - id: one
        uses: exec
        neds: [two]
        with: { command: "echo \${{ params.zon }}" }
      - id: two
        uses: wiat
        with: { duration: 5s }
  - id: a
    steps:
      - id: three
        uses: exec
        needs: [one]
        with: { command: "echo \${{ steps.four.outputs.x }}" }
      - id: four
        uses: noop
`)
    assert.deepEqual(
      lines.map((l) => l.split('\n')[0]),
      [
        "10:9 error: unknown key 'neds' in phases[0].steps[0]",
        "11:36 error: param 'zon' is not declared",
        "13:15 error: unknown step type 'wiat'",
        "15:9 error: duplicate phase id 'a' (also phases[0], line 6)",
        '20:36 error: steps.four is not upstream of a.three',
      ],
    )
  })

  test('defaults apply in order: step, then defaults, then built-in', () => {
    const { runbook } = load(`${header}concurrency: 8
on_failure: rollback
defaults: { timeout: 2m, retry: { attempts: 3, backoff: 1s } }
phases:
  - id: p
    concurrency: 2
    on_failure: abort
    steps:
      - { id: a, uses: noop }
      - { id: b, uses: noop, timeout: 1h30m, retry: { attempts: 5, max_backoff: 10s }, continue_on_error: true }
  - id: q
    steps: [{ id: c, uses: noop }]
`)
    const [p, q] = runbook?.phases ?? []
    assert.equal(p?.concurrency, 2)
    assert.equal(p?.onFailure, 'abort')
    assert.equal(q?.concurrency, 8)
    assert.equal(q?.onFailure, 'rollback')
    assert.deepEqual(p?.steps[0]?.retry, { attempts: 3, backoffMs: 1000, maxBackoffMs: 300_000 })
    assert.equal(p?.steps[0]?.timeoutMs, 120_000)
    assert.deepEqual(p?.steps[1]?.retry, { attempts: 5, backoffMs: 1000, maxBackoffMs: 10_000 })
    assert.equal(p?.steps[1]?.timeoutMs, 5_400_000)
    assert.equal(p?.steps[1]?.continueOnError, true)
  })

  test('a step field written as an expression is left for run time; a wrong literal is not', () => {
    const ok = load(`${header}params: { bake: { default: 5m } }
phases:
  - id: p
    steps: [{ id: a, uses: wait, with: { duration: "\${{ params.bake }}" } }]
`)
    assert.deepEqual(ok.lines, [])
    const bad = load(`${header}phases:
  - id: p
    steps: [{ id: a, uses: wait, with: { duration: five minutes } }]
`)
    assert.match(bad.lines[0] ?? '', /^5:52 error: .*duration.*a duration is a number with a unit/)
  })

  test('outputs may be read from earlier phases and from steps needed directly or transitively', () => {
    const { lines } = load(`${header}phases:
  - id: first
    steps: [{ id: early, uses: noop }]
  - id: second
    steps:
      - { id: a, uses: noop }
      - { id: b, uses: noop, needs: a }
      - id: c
        uses: noop
        needs: [b]
        with: { message: "\${{ steps.a.outputs.x }} \${{ steps.b.outputs.y }} \${{ steps.early.outputs.z }}" }
      - id: d
        uses: noop
        with: { message: "\${{ steps.a.outputs.x }}" }
`)
    assert.deepEqual(lines, [
      "16:31 error: steps.a is not upstream of second.d\n  hint: add 'a' to the needs of 'd' so it runs first",
    ])
  })

  test('if: takes a bare expression or one ${{ }}, not text around it', () => {
    const { lines } = load(`${header}params: { go: { type: boolean, default: true } }
phases:
  - id: p
    steps:
      - { id: a, uses: noop, if: params.go }
      - { id: b, uses: noop, if: "\${{ params.go && true }}" }
      - { id: c, uses: noop, if: false }
      - { id: d, uses: noop, if: "go \${{ params.go }}" }
      - { id: e, uses: noop, if: "params.gone" }
`)
    assert.deepEqual(
      lines.map((l) => l.split('\n')[0]),
      [
        '10:38 error: an if: condition is one expression, not text with expressions in it',
        "11:34 error: param 'gone' is not declared",
      ],
    )
  })

  test('targets may use params and secrets but not step outputs', () => {
    const { lines } = load(`${header}params: { host: { default: web-1 } }
secrets: { token: { from: "env:TOKEN" } }
targets:
  web: { hosts: ["\${{ params.host }}", "\${{ secrets.token }}", "\${{ steps.a.outputs.h }}"] }
phases:
  - id: p
    steps: [{ id: a, uses: noop }]
`)
    assert.deepEqual(
      lines.map((l) => l.split('\n')[0]),
      ['6:69 error: steps are not available here: targets are resolved before any step runs'],
    )
  })

  test('the runbook hash pins the exact bytes', () => {
    const text = `${header}phases: [{ id: p, steps: [{ id: a, uses: noop }] }]\n`
    const one = load(text).runbook?.hash
    const same = load(text).runbook?.hash
    const edited = load(`${text}# a comment\n`).runbook?.hash
    assert.match(one ?? '', /^[0-9a-f]{64}$/)
    assert.equal(one, same)
    assert.notEqual(one, edited)
  })
})

describe('params', () => {
  const declared = `${header}params:
  zone:    { required: true }
  ttl:     { type: number, default: 60, allowed: [30, 60] }
  notify:  { type: boolean, default: false }
  records: { type: list, default: [a] }
phases: [{ id: p, steps: [{ id: a, uses: noop }] }]
`

  test('flags win over the params file, which wins over defaults; values are typed', () => {
    const paramsFile = write('zone: Zfile\nttl: 30\nrecords: [x, y]\n', 'params.yaml')
    const { runbook, lines } = load(declared, {
      paramFlags: ['zone=Zflag', 'notify=true', 'records=b, c'],
      paramsFile,
    })
    assert.deepEqual(lines, [])
    assert.deepEqual(runbook?.paramValues, { zone: 'Zflag', ttl: 30, notify: true, records: ['b', 'c'] })
  })

  test('bad flags are named by flag; bad file values by file:line:column', () => {
    const paramsFile = write('zone: 7\nttll: 30\n', 'bad-params.yaml')
    const { runbook, diagnostics } = load(declared, {
      paramFlags: ['ttl=ninety', 'notify=yes', 'nope=1', 'novalue'],
      paramsFile,
    })
    assert.equal(runbook, undefined)
    const text = diagnostics.map(formatDiagnostic).map((l) => l.replace(dir, '<dir>'))
    assert.deepEqual(
      text.filter((l) => l.startsWith('--param')).map((l) => l.split('\n')[0]),
      [
        "--param nope error: unknown param 'nope'",
        "--param notify error: expected true or false, not 'yes'",
        '--param novalue error: expected NAME=VALUE',
        "--param ttl error: expected a number, not 'ninety'",
      ].sort(),
    )
    assert.ok(
      text.some((l) => /bad-params\.yaml:1:7 error: param 'zone': expected a string, not 7/.test(l)),
      text.join('\n'),
    )
    assert.ok(
      text.some((l) =>
        /bad-params\.yaml:2:1 error: unknown param 'ttll'\n {2}hint: did you mean 'ttl'\?/.test(l),
      ),
    )
  })

  test('a value outside allowed is refused with the allowed list', () => {
    const { diagnostics } = load(declared, { paramFlags: ['zone=Z', 'ttl=90'] })
    assert.match(diagnostics[0]?.message ?? '', /90 is not allowed \(allowed: 30, 60\)/)
  })

  test('missing required params are errors once params are given, and listed otherwise', () => {
    const withoutParams = load(declared)
    assert.ok(withoutParams.runbook)
    assert.deepEqual(withoutParams.missingParams, ['zone'])
    const withSome = load(declared, { paramFlags: ['ttl=30'] })
    assert.equal(withSome.runbook, undefined)
    assert.match(withSome.lines[0] ?? '', /^4:3 error: param 'zone' is required and has no value/)
    const forRun = load(declared, { requireParams: true })
    assert.equal(forRun.runbook, undefined)
  })

  test('declarations are checked: default type, default in allowed, required with default', () => {
    const { lines } = load(`${header}params:
  a: { type: number, default: "ten" }
  b: { default: c, allowed: [x, y] }
  d: { required: true, default: x }
phases: [{ id: p, steps: [{ id: s, uses: noop }] }]
`)
    assert.deepEqual(
      lines.map((l) => l.split('\n')[0]),
      [
        "4:31 error: param 'a': default expected a number, not 'ten'",
        '5:17 error: param \'b\': default \'c\' is not allowed (allowed: "x", "y")',
        "6:18 error: param 'd' is required and also has a default",
      ],
    )
  })
})

describe('the quick YAML path', () => {
  test('reads every example runbook to the same value as the thorough parser', async () => {
    const { readdirSync, readFileSync } = await import('node:fs')
    const { parse } = await import('yaml')
    const { Diagnostics, SourceText } = await import('../src/runbook/diagnostics.ts')
    const { parseYaml } = await import('../src/runbook/yaml-source.ts')
    const folder = join(import.meta.dirname, '..', 'runbooks')
    for (const name of readdirSync(folder).filter((n) => n.endsWith('.yaml'))) {
      const text = readFileSync(join(folder, name), 'utf8')
      const parsed = parseYaml(new SourceText(name, text), new Diagnostics())
      assert.deepEqual(parsed?.value, parse(text, { merge: true }), name)
    }
  })

  test('positions found after a quick parse point at the right place', () => {
    const { lines } = load(`${header}phases:
  - id: p
    steps:
      - id: a
        uses: noop
        with: { mesage: hi }
`)
    assert.deepEqual(lines, [
      "8:17 error: unknown key 'mesage' in phases[0].steps[0].with\n  hint: did you mean 'message'?",
    ])
  })
})
