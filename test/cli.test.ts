import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'

const root = join(import.meta.dirname, '..')
const examples = readdirSync(join(root, 'runbooks'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `runbooks/${f}`)

function switchyard(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/run.js', ...args], { cwd: root, encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const noStackTrace = (text: string) =>
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `stack trace in:\n${text}`)

describe('the switchyard command', () => {
  test('--version names the tool and its version', () => {
    const { code, stdout } = switchyard('--version')
    assert.equal(code, 0)
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    assert.match(stdout, new RegExp(`^switchyard/${version.replace(/\./g, '\\.')} `))
  })

  test('--help lists every command with its summary', () => {
    const { code, stdout } = switchyard('--help')
    assert.equal(code, 0)
    for (const command of ['validate', 'graph', 'schema'])
      assert.match(stdout, new RegExp(`^\\s+${command}\\s+\\S`, 'm'))
  })

  test('every command has help with examples', () => {
    for (const command of ['validate', 'graph', 'schema']) {
      const { code, stdout } = switchyard(command, '--help')
      assert.equal(code, 0, command)
      assert.match(stdout, /EXAMPLES/, command)
      assert.match(stdout, /\$ switchyard /, command)
    }
  })

  test('an unknown flag is refused with exit 2, naming the flag', () => {
    const { code, stderr } = switchyard('validate', examples[0] as string, '--dry-rn')
    assert.equal(code, 2)
    assert.match(stderr, /--dry-rn/)
    noStackTrace(stderr)
  })

  test('a missing runbook argument is refused with exit 2', () => {
    const { code, stderr } = switchyard('validate')
    assert.equal(code, 2)
    assert.match(stderr, /runbook/i)
    noStackTrace(stderr)
  })
})

describe('validate', () => {
  for (const file of examples) {
    test(`${file} is valid and summarised`, () => {
      const { code, stdout, stderr } = switchyard('validate', file)
      assert.equal(code, 0, stderr)
      assert.match(
        stdout,
        new RegExp(`^ok ${file}: \\d+ phases, \\d+ steps, \\d+ rollback points \\(start, `, 'm'),
      )
    })
  }

  test('--json gives the summary and diagnostics as JSON', () => {
    const ok = switchyard('validate', 'runbooks/giftcard-rehearsal.yaml', '--json')
    assert.equal(ok.code, 0)
    const report = JSON.parse(ok.stdout)
    assert.equal(report.ok, true)
    assert.deepEqual(report.diagnostics, [])
    assert.equal(report.summary.phases, 5)
    assert.equal(report.summary.pointOfNoReturn, 'finalize')
    assert.deepEqual(report.summary.rollbackPoints, [
      'start',
      'preflight',
      'replicate',
      'verify',
      'traffic',
      'finalize',
    ])
    assert.deepEqual(report.summary.paramsRequiredAtRunTime, ['zone'])
  })

  test('a bad --param is reported by flag name with exit 2 and nothing on stdout', () => {
    const { code, stdout, stderr } = switchyard(
      'validate',
      'runbooks/dns-ttl-prep.yaml',
      '--param',
      'zone=Z1',
      '--param',
      'ttl=90',
    )
    assert.equal(code, 2)
    assert.equal(stdout, '')
    assert.match(stderr, /^--param ttl error: 90 is not allowed \(allowed: 30, 60, 120\)$/m)
    noStackTrace(stderr)
  })

  test('with all params given, the example validates as a run would', () => {
    const { code, stdout } = switchyard(
      'validate',
      'runbooks/dns-ttl-prep.yaml',
      '-p',
      'zone=Z1',
      '-p',
      'ttl=30',
    )
    assert.equal(code, 0)
    assert.doesNotMatch(stdout, /params required at run time/)
  })

  test('--param before the runbook argument takes one value and does not swallow the runbook', () => {
    const { code, stdout } = switchyard(
      'validate',
      '--param',
      'zone=Z1',
      'runbooks/dns-ttl-prep.yaml',
      '-p',
      'ttl=30',
    )
    assert.equal(code, 0)
    assert.match(stdout, /^ok runbooks\/dns-ttl-prep\.yaml/)
  })

  test('a missing file is exit 2 with the path', () => {
    const { code, stderr } = switchyard('validate', 'runbooks/nope.yaml')
    assert.equal(code, 2)
    assert.match(stderr, /^runbooks\/nope\.yaml:1:1 error: no such file: runbooks\/nope\.yaml$/m)
  })
})

describe('the README', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-readme-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('the runbook reference example is a valid runbook', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1]
    assert.ok(block, 'README has a yaml block')
    const file = join(dir, 'reference.yaml')
    writeFileSync(file, block)
    const { code, stderr } = switchyard('validate', file)
    assert.equal(code, 0, stderr)
  })
})

describe('schema', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-schema-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('--out writes the same schema that stdout prints', () => {
    const out = join(dir, 'schema.json')
    assert.equal(switchyard('schema', '--out', out).code, 0)
    const printed = switchyard('schema').stdout
    assert.equal(readFileSync(out, 'utf8'), printed)
    const schema = JSON.parse(printed)
    assert.ok(schema.properties.phases, 'schema describes phases')
  })
})
