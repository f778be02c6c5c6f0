// Secrets of odd shapes through the built CLI: the journal stays data, inputs reach commands as given,
// and no form of a secret the CLI writes reaches a person, a plan file or the state dir.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { Redactor } from '../src/engine/redaction.ts'
import { scriptPrologue } from '../src/steps/ssm/script-prologue.ts'
import { allBytes, type CliResult, journalEvents, switchyard, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('secrets')
after(scratch.cleanup)
let n = 0
function workspace(runbook: string): string {
  const dir = join(scratch.dir, `w${++n}`)
  mkdirSync(dir, { recursive: true })
  writeRunbook(dir, runbook)
  return dir
}

const said = (r: CliResult) => r.stdout + r.stderr
const expectCode = (r: CliResult, code: number) => assert.equal(r.code, code, said(r))

/** Asserts that no piece of a secret is in any text given, nor anywhere under the state dir. */
function assertNowhere(pieces: string[], texts: Record<string, string>): void {
  for (const [where, text] of Object.entries(texts))
    for (const piece of pieces) assert.ok(!text.includes(piece), `${where} shows ${piece}:\n${text}`)
}

describe('a secret that matches an id', () => {
  const runbook = `version: 1
name: copier
secrets: { token: { from: "env:COPY_TOKEN" } }
phases:
  - id: first
    steps:
      - id: copy-files
        uses: exec
        with:
          command: sh
          args: [-c, 'echo applied >> applied.txt']
          rollback: { command: sh, args: [-c, 'echo undone >> undone.txt'] }
  - id: second
    steps:
      - id: use-token
        uses: exec
        with: { command: sh, args: [-c, 'test -n "$T"'], env: { T: "\${{ secrets.token }}" } }
`

  test('leaves the journal intact: resume does not re-apply the step and rollback undoes it', () => {
    const dir = workspace(runbook)
    const env = { COPY_TOKEN: 'copy-files' }
    expectCode(switchyard(dir, ['run', 'runbook.yaml', '--until', 'first'], env), 0)
    const runId = readdirSync(join(dir, '.switchyard', 'runs'))[0] as string
    const events = journalEvents(dir)
    assert.equal(events[0]?.runId, runId, 'the run id in the journal is the folder name')
    assert.deepEqual(
      events.filter((e) => e.type === 'step-applied').map((e) => e.step),
      ['copy-files'],
    )
    assert.equal(
      events.some((e) => e.type === 'run-paused' && /Ctrl-C/.test(String(e.reason))),
      false,
    )

    expectCode(switchyard(dir, ['resume'], env), 0)
    assert.deepEqual(readFileSync(join(dir, 'applied.txt'), 'utf8').trim().split('\n'), ['applied'])

    expectCode(
      switchyard(
        dir,
        ['rollback', '--to', 'start', '--approve', 'use-token', '--reason', 'it only read the token'],
        env,
      ),
      0,
    )
    assert.equal(readFileSync(join(dir, 'undone.txt'), 'utf8').trim(), 'undone')
    const status = switchyard(dir, ['status', '--json'], env)
    expectCode(status, 0)
    const state = JSON.parse(status.stdout)
    assert.equal(state.runId, runId)
    assert.equal(state.steps['copy-files'].status, 'compensated')
  })

  test('a secret of 4 characters is refused before anything runs, naming the secret, not its value', () => {
    const dir = workspace(runbook)
    const result = switchyard(dir, ['run', 'runbook.yaml'], { COPY_TOKEN: 'copy' })
    expectCode(result, 2)
    assert.match(result.stderr, /secret 'token' \(from env:COPY_TOKEN\) is shorter than 6 characters/)
    assert.equal(existsSync(join(dir, 'applied.txt')), false)
    assert.equal(existsSync(join(dir, '.switchyard', 'runs')), false, 'no run was started')
  })
})

describe('one-character secrets', () => {
  test('`a` and `1` are refused with exit 2; the runs before stay readable, their ids intact', () => {
    const dir = workspace(`version: 1
name: tiny
secrets: { token: { from: "env:TINY_TOKEN" } }
phases:
  - id: only
    steps:
      - id: work
        uses: exec
        with: { command: sh, args: [-c, 'test -n "$T"'], env: { T: "\${{ secrets.token }}" } }
`)
    expectCode(switchyard(dir, ['run', 'runbook.yaml'], { TINY_TOKEN: 'a-long-enough-token' }), 0)
    const runId = readdirSync(join(dir, '.switchyard', 'runs'))[0] as string
    const before = allBytes(join(dir, '.switchyard', 'runs'))
    for (const value of ['a', '1']) {
      for (const args of [['run', 'runbook.yaml'], ['resume'], ['rollback', '--to', 'start', '--yes']]) {
        const refused = switchyard(dir, args, { TINY_TOKEN: value })
        expectCode(refused, 2)
        assert.match(refused.stderr, /secret 'token' \(from env:TINY_TOKEN\) is shorter than 6 characters/)
      }
      for (const args of [
        ['runs', '--json'],
        ['status', '--json'],
      ]) {
        const read = switchyard(dir, args, { TINY_TOKEN: value })
        expectCode(read, 0)
        assert.ok(read.stdout.includes(`"${runId}"`), read.stdout)
      }
    }
    assert.equal(allBytes(join(dir, '.switchyard', 'runs')), before, 'the journal was not touched')
    assert.deepEqual(readdirSync(join(dir, '.switchyard', 'runs')), [runId])
  })
})

describe('inputs', () => {
  test("a param that contains a secret's value reaches the command unchanged, before and after a resume", () => {
    const dir = workspace(`version: 1
name: inputs
params: { label: { required: true } }
secrets: { token: { from: "env:LABEL_TOKEN" } }
phases:
  - id: first
    steps:
      - id: write-first
        uses: exec
        with:
          command: sh
          args: [-c, 'printf %s "$1" > first.txt; test -n "$T"', sh, "\${{ params.label }}"]
          env: { T: "\${{ secrets.token }}" }
  - id: second
    steps:
      - id: write-second
        uses: exec
        with: { command: sh, args: [-c, 'printf %s "$1" > second.txt', sh, "\${{ params.label }}"] }
`)
    const env = { LABEL_TOKEN: 'hunter2-value' }
    const label = 'release-hunter2-value-7'
    expectCode(switchyard(dir, ['run', 'runbook.yaml', '-p', `label=${label}`, '--until', 'first'], env), 0)
    expectCode(switchyard(dir, ['resume'], env), 0)
    assert.equal(readFileSync(join(dir, 'first.txt'), 'utf8'), label)
    assert.equal(readFileSync(join(dir, 'second.txt'), 'utf8'), label, 'resume reads the params as given')
    assert.deepEqual(journalEvents(dir)[0]?.params, { label })
  })
})

describe('odd shapes', () => {
  test("a secret with a ' is never shown in plan, plan --out, the journal, failures or status --json", () => {
    const dir = workspace(`version: 1
name: quoted
secrets: { pw: { from: "env:QUOTED_PW" } }
phases:
  - id: only
    steps:
      - id: leak
        uses: exec
        with: { command: sh, args: [-c, 'echo "\${{ secrets.pw }}" >&2; exit 3'] }
`)
    const env = { QUOTED_PW: "Tr1cky'Pa55-word" }
    const plan = switchyard(dir, ['plan', 'runbook.yaml'], env)
    const saved = switchyard(dir, ['plan', 'runbook.yaml', '--out', 'plan.json', '--json'], env)
    const run = switchyard(dir, ['run', 'runbook.yaml', '--plan', 'plan.json'], env)
    const runJson = switchyard(dir, ['resume', '--json'], env)
    const status = switchyard(dir, ['status'], env)
    const statusJson = switchyard(dir, ['status', '--json'], env)
    for (const r of [plan, saved, status, statusJson]) expectCode(r, 0)
    expectCode(run, 1)
    assert.match(plan.stdout, /run sh -c 'echo "\*\*\*" >&2; exit 3'/, 'the plan shows the command, redacted')
    assert.match(run.stdout + run.stderr, /exited with code 3/)
    assertNowhere(['Tr1cky', 'Pa55-word'], {
      plan: said(plan),
      'plan --json': said(saved),
      'plan --out': readFileSync(join(dir, 'plan.json'), 'utf8'),
      run: said(run),
      'resume --json': said(runJson),
      status: said(status),
      'status --json': said(statusJson),
      'the state dir': allBytes(join(dir, '.switchyard')),
    })
  })

  test('a multi-line file secret is never shown line by line', () => {
    const key = [
      '-----BEGIN TEST KEY-----',
      'MIIBo2Line2Secret',
      'QkFzZTY0Line3Secret',
      '-----END TEST KEY-----',
    ]
    const dir = workspace(`version: 1
name: multiline
secrets: { key: { from: "file:key.pem" } }
phases:
  - id: only
    steps:
      - id: second-line
        uses: exec
        with:
          command: sh
          args: [-c, 'printf "%s" "$KEY" > got.pem; printf "%s\\n" "$KEY" | sed -n 2p']
          env: { KEY: "\${{ secrets.key }}" }
      - id: third-line
        uses: exec
        needs: [second-line]
        with:
          command: sh
          args: [-c, 'printf "%s\\n" "$KEY" | sed -n 3p >&2; exit 1']
          env: { KEY: "\${{ secrets.key }}" }
`)
    writeFileSync(join(dir, 'key.pem'), `${key.join('\n')}\n`)
    const run = switchyard(dir, ['run', 'runbook.yaml'])
    expectCode(run, 1)
    assert.equal(readFileSync(join(dir, 'got.pem'), 'utf8'), key.join('\n'), 'the step got the whole key')
    const json = switchyard(dir, ['status', '--json'])
    assertNowhere(['Line2Secret', 'Line3Secret'], {
      run: said(run),
      'status --json': said(json),
      'the state dir': allBytes(join(dir, '.switchyard')),
    })
    assert.equal(JSON.parse(json.stdout).steps['second-line'].outputs.stdout, '***')
  })
})

describe('the forms a secret takes', () => {
  const secret = `Pa"ss'w\\rd-42`
  const redactor = new Redactor([secret])

  test('shell-quoted, SQL-quoted and JSON-escaped forms are redacted', () => {
    for (const form of [`'Pa"ss'\\''w\\rd-42'`, `N'Pa"ss''w\\rd-42'`, JSON.stringify({ password: secret })])
      assert.ok(!redactor.text(form).includes('w\\rd-42'), `${form} -> ${redactor.text(form)}`)
  })

  test("ssm.run's base64 prologue lines are redacted, for sh and PowerShell", () => {
    for (const document of ['AWS-RunShellScript', 'AWS-RunPowerShellScript']) {
      const [line] = scriptPrologue(document, { token: secret })
      const encoded = /'([A-Za-z0-9+/=]+)'/.exec(line ?? '')?.[1] ?? ''
      assert.ok(encoded.length > 8)
      assert.ok(!redactor.text(line ?? '').includes(encoded), redactor.text(line ?? ''))
    }
  })

  test('base64 of a text holding the secret is redacted at any alignment', () => {
    for (const prefix of ['', 'a', 'ab', 'abc'])
      for (const suffix of ['', 'z', 'zz']) {
        const encoded = Buffer.from(`${prefix}${secret}${suffix}`).toString('base64')
        const redacted = redactor.text(encoded)
        assert.ok(redacted.includes('***'), `${prefix}|${suffix}: ${encoded} stays whole`)
        assert.ok(redacted.length < encoded.length - 8)
      }
  })
})
