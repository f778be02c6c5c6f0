// The checked-in JSON Schema (schema/runbook.schema.json, which editors load through the
// yaml-language-server comment atop each runbook): current with the code, valid JSON Schema 2020-12
// for a real validator (Ajv, strict mode), accepting the example runbooks, and agreeing with the
// loader on documents it must reject or accept.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { loadRunbook } from '../src/runbook/load.ts'

const root = join(import.meta.dirname, '..')
const schemaFile = join(root, 'schema', 'runbook.schema.json')
const examples = readdirSync(join(root, 'runbooks'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `runbooks/${f}`)

const dir = mkdtempSync(join(tmpdir(), 'switchyard-schema-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const checkedIn = readFileSync(schemaFile, 'utf8')
// Strict mode refuses unknown keywords and ignored constraints; union types (`type: [a, b]`) are
// standard JSON Schema, which strict mode only flags for style.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true })
const validate = ajv.compile(JSON.parse(checkedIn))

function schemaErrors(document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

let counter = 0
/** What the loader says of the same document (written as JSON, which YAML reads as it is). */
function loaderErrors(document: unknown): string[] {
  const file = join(dir, `case-${++counter}.yaml`)
  writeFileSync(file, JSON.stringify(document, null, 2))
  return loadRunbook({ file })
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => d.message)
}

describe('schema/runbook.schema.json', () => {
  test('is what `switchyard schema` prints now', () => {
    const result = spawnSync(process.execPath, ['bin/run.js', 'schema'], { cwd: root, encoding: 'utf8' })
    assert.equal(result.status, 0, result.stderr)
    assert.ok(
      result.stdout === checkedIn,
      'schema/runbook.schema.json is stale: run `npm run build` (it rewrites the file) and commit it',
    )
  })

  test('is JSON Schema 2020-12 with an id and a title', () => {
    const schema = JSON.parse(checkedIn)
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema')
    assert.equal(typeof schema.$id, 'string')
    assert.equal(typeof schema.title, 'string')
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors))
  })
})

describe('the example runbooks', () => {
  assert.ok(examples.length > 0, 'no runbooks in runbooks/')
  for (const file of examples) {
    const text = readFileSync(join(root, file), 'utf8')

    test(`${file} names the schema on its first line`, () => {
      assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=../schema/runbook.schema.json')
    })

    test(`${file} is valid against the schema`, () => {
      // As the loader reads YAML: merge keys (`<<: *anchor`) on.
      const document = parse(text, { merge: true })
      assert.deepEqual(schemaErrors(document), [])
    })
  }
})

// ---------- documents the schema must reject or accept, as the loader does ----------

interface Step {
  id: string
  uses: string
  with?: Record<string, unknown>
  [key: string]: unknown
}

/** A small valid runbook around the steps given. */
function runbook(steps: Step[], extra: Record<string, unknown> = {}) {
  return {
    version: 1,
    name: 'schema-case',
    params: {
      flag: { type: 'boolean', default: true },
      code: { type: 'number', default: 3 },
      minutes: { type: 'number', default: 5 },
      pause: { default: '30s' },
    },
    ...extra,
    phases: [{ id: 'one', steps }],
  }
}

const exec = (withBlock: Record<string, unknown>, extra: Record<string, unknown> = {}): Step => ({
  id: 'run',
  uses: 'exec',
  with: { command: './scripts/x.sh', ...withBlock },
  ...extra,
})

const REJECTED: Array<[string, unknown, RegExp]> = [
  ['an unknown step key', runbook([exec({}, { retries: 3 })]), /must NOT have additional properties/],
  [
    'an unknown key in exec `with`',
    runbook([exec({ timeout: '5m' })]),
    /must NOT have additional properties/,
  ],
  [
    'an unknown key in exec `rollback`',
    runbook([exec({ rollback: { command: 'x', when: 'always' } })]),
    /additional/,
  ],
  ['a bad step timeout', runbook([exec({}, { timeout: '5 minutes' })]), /must match pattern/],
  ['a bad default timeout', runbook([exec({})], { defaults: { timeout: '1d' } }), /must match pattern/],
  ['a bad wait duration', runbook([{ id: 'w', uses: 'wait', with: { duration: '30sec' } }]), /must match/],
  ['a wait without `with`', runbook([{ id: 'w', uses: 'wait' }]), /must have required property 'with'/],
  [
    'a wait with neither duration nor until',
    runbook([{ id: 'w', uses: 'wait', with: {} }]),
    /must match exactly one/,
  ],
  [
    'a wait with both duration and until',
    runbook([
      { id: 'h', uses: 'noop' },
      { id: 'w', uses: 'wait', with: { duration: '5m', until: 'h' } },
    ]),
    /must match exactly one/,
  ],
  [
    'a wait for a duration with an interval',
    runbook([{ id: 'w', uses: 'wait', with: { duration: '5m', interval: '5s' } }]),
    /must have property until when property interval is present/,
  ],
  ['an exec without its command', runbook([{ id: 'e', uses: 'exec', with: { args: ['a'] } }]), /'command'/],
  ['an unknown step type', runbook([{ id: 'e', uses: 'exce', with: {} }]), /allowed values/],
  ['a number where a boolean goes', runbook([exec({ idempotent: 1 })]), /must be boolean/],
  ['`with` as one expression', wholeWith(), /must be object/],
  [
    'text around an expression for a boolean',
    runbook([exec({ idempotent: 'is ${{ params.flag }}' })]),
    /pattern/,
  ],
  ['an unknown top-level key', { ...runbook([exec({})]), extras: 1 }, /additional/],
]

function wholeWith() {
  return runbook([
    { id: 'w', uses: 'wait', with: '${{ params.pause }}' as unknown as Record<string, unknown> },
  ])
}

const ACCEPTED: Array<[string, unknown]> = [
  ['an expression for a boolean', runbook([exec({ idempotent: '${{ params.flag }}' })])],
  ['an expression for a number in a list', runbook([exec({ success_codes: [0, '${{ params.code }}'] })])],
  [
    'an expression for a whole list',
    runbook([exec({ args: '${{ params.list }}' })], { params: { list: { type: 'list', default: ['a'] } } }),
  ],
  [
    'an expression for a mapping',
    runbook([
      { id: 'prior', uses: 'noop', with: { outputs: { env: { A: 'b' } } } },
      exec({ env: '${{ steps.prior.outputs.env }}' }, { needs: 'prior' }),
    ]),
  ],
  [
    'an expression for a duration',
    runbook([{ id: 'w', uses: 'wait', with: { duration: '${{ params.pause }}' } }]),
  ],
  [
    'text with an expression for a duration',
    runbook([{ id: 'w', uses: 'wait', with: { duration: '${{ params.minutes }}m' } }]),
  ],
  [
    'an expression over several lines',
    runbook([exec({ idempotent: '${{ params.flag &&\n  params.code == 3 }}' })]),
  ],
  ['a noop without `with`', runbook([{ id: 'n', uses: 'noop' }])],
  [
    'a wait until another step passes',
    runbook([
      { id: 'h', uses: 'exec', with: { command: './health.sh', idempotent: true } },
      { id: 'w', uses: 'wait', needs: 'h', with: { until: 'h', interval: '5s' } },
    ]),
  ],
  ['a top-level x- key', { ...runbook([exec({})]), 'x-anchors': { any: ['thing'] } }],
]

describe('the schema rejects what the loader rejects', () => {
  for (const [what, document, message] of REJECTED) {
    test(what, () => {
      const errors = schemaErrors(document)
      assert.ok(errors.length > 0, `the schema accepts ${what}`)
      assert.match(errors.join('\n'), message)
      // The one place the schema is stricter: text around an expression that must resolve to a
      // boolean (the loader lets it through to fail when resolved, at run time).
      if (!what.startsWith('text around'))
        assert.ok(loaderErrors(document).length > 0, `the loader accepts ${what}`)
    })
  }
})

describe('the schema accepts what the loader accepts', () => {
  for (const [what, document] of ACCEPTED) {
    test(what, () => {
      assert.deepEqual(loaderErrors(document), [], `the loader refuses ${what}`)
      assert.deepEqual(schemaErrors(document), [])
    })
  }
})
