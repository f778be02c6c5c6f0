import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conditionReason } from '../src/engine/condition-reason.ts'
import {
  ExpressionError,
  evaluate,
  parseExpression,
  parseTemplate,
  renderTemplate,
} from '../src/runbook/expressions.ts'

const scope = {
  params: { zone: 'Z123', stages: ['10', '50', '100'], ttl: 60, notify: true, empty: '' },
  steps: { seed: { outputs: { bytes: 2048, state: 'SYNCHRONIZED', tags: { Role: 'web' } } } },
  targets: { 'aws-web': { hosts: ['web-1', 'web-2'] } },
  run: { id: 'r-1', operator: 'ana', dryRun: false },
  env: { HOME: '/home/ana' },
}

const run = (text: string) => evaluate(parseExpression(text), scope)

describe('expressions', () => {
  test('property paths read params, step outputs, targets with hyphens and indexes', () => {
    assert.equal(run('params.zone'), 'Z123')
    assert.equal(run('steps.seed.outputs.bytes'), 2048)
    assert.equal(run("steps.seed.outputs.tags['Role']"), 'web')
    assert.equal(run('targets.aws-web.hosts[1]'), 'web-2')
    assert.equal(run('params.stages[0]'), '10')
  })

  test('a missing property is null, never a crash', () => {
    assert.equal(run('steps.seed.outputs.nothing.deeper'), null)
    assert.equal(run('params.missing'), null)
  })

  test('properties of the prototype are not reachable', () => {
    assert.equal(run('params.constructor'), null)
    assert.equal(run("params['__proto__']"), null)
  })

  test('comparisons and logic follow the documented rules', () => {
    assert.equal(run("params.zone == 'Z123'"), true)
    assert.equal(run("params.zone != 'Z123'"), false)
    assert.equal(run('params.ttl == 60'), true)
    assert.equal(run("params.ttl == '60'"), true, 'a number equals its decimal string')
    assert.equal(run('params.ttl > 30 && params.ttl <= 60'), true)
    assert.equal(run('!params.notify || run.dryRun'), false)
    assert.equal(run("params.empty || 'fallback'"), 'fallback')
    assert.equal(run('(true || false) && !(1 == 2)'), true)
    assert.equal(run('null == params.missing'), true)
  })

  test('functions: contains, startsWith, endsWith, format, join, toJSON', () => {
    assert.equal(run("contains(params.stages, '100')"), true)
    assert.equal(run("contains(params.stages, '75')"), false)
    assert.equal(run("contains(params.zone, '12')"), true)
    assert.equal(run("startsWith(steps.seed.outputs.state, 'SYNC')"), true)
    assert.equal(run("endsWith(env.HOME, 'ana')"), true)
    assert.equal(
      run("format('{0} moved {1} bytes {{literal}}', run.operator, steps.seed.outputs.bytes)"),
      'ana moved 2048 bytes {literal}',
    )
    assert.equal(run("join(targets.aws-web.hosts, ' ')"), 'web-1 web-2')
    assert.equal(run('toJSON(steps.seed.outputs.tags)'), '{"Role":"web"}')
  })

  test('strings take single or double quotes and escape a quote by doubling it', () => {
    assert.equal(run("'it''s'"), "it's")
    assert.equal(run('"say ""hi"""'), 'say "hi"')
  })

  test('syntax errors carry the offset of the problem and a hint for = and &', () => {
    const cases: Array<[string, number, RegExp, RegExp?]> = [
      ["params.zone = 'x'", 12, /unexpected character '='|unexpected text/, /==/],
      ['params.zone & true', 12, /unexpected character '&'/, /&&/],
      ["'open", 0, /unterminated string/],
      ['contains(params.zone', 20, /expected '\)'/],
      ['', 0, /empty expression/],
      ['params.', 7, /property name/],
      ["'a'.length", 3, /only names of contexts/],
    ]
    for (const [text, offset, message, hint] of cases) {
      assert.throws(
        () => parseExpression(text),
        (error: unknown) => {
          assert.ok(error instanceof ExpressionError, text)
          assert.equal(error.offset, offset, `offset for ${JSON.stringify(text)}`)
          assert.match(error.message, message)
          if (hint) assert.match(error.hint ?? '', hint)
          return true
        },
      )
    }
  })

  test('hostile nesting is refused rather than overflowing the stack', () => {
    assert.throws(() => parseExpression(`${'('.repeat(5000)}1${')'.repeat(5000)}`), /deeper than/)
    assert.throws(() => parseExpression(`${'!'.repeat(5000)}true`), /deeper than/)
  })
})

describe('templates', () => {
  test('a whole-string expression keeps its type; mixed text becomes a string', () => {
    assert.equal(renderTemplate(parseTemplate('${{ params.ttl }}'), scope), 60)
    assert.deepEqual(renderTemplate(parseTemplate('${{ params.stages }}'), scope), ['10', '50', '100'])
    assert.equal(
      renderTemplate(parseTemplate('ttl=${{ params.ttl }}s zone=${{params.zone}}'), scope),
      'ttl=60s zone=Z123',
    )
    assert.equal(renderTemplate(parseTemplate('no expressions'), scope), 'no expressions')
  })

  test('errors inside a template are placed relative to the whole string', () => {
    assert.throws(
      () => parseTemplate('echo ${{ params.zone = 1 }}'),
      (error: unknown) => error instanceof ExpressionError && error.offset === 21,
    )
    assert.throws(
      () => parseTemplate('echo ${{ params.zone'),
      (error: unknown) =>
        error instanceof ExpressionError && error.offset === 5 && /not closed/.test(error.message),
    )
  })
})

describe('why an if: was false', () => {
  const why = (text: string) => conditionReason(text, { ...scope, secrets: { token: 'hunter2-secret' } })

  test('names the part of an && that was false, with the value it read', () => {
    assert.equal(why("${{ params.notify && params.zone == 'Z999' }}"), "params.zone is 'Z123', not 'Z999'")
    assert.equal(why('params.empty && params.notify'), "params.empty is ''")
  })

  test('names every part of an ||, a negation by what it negated, and an unset value as not set', () => {
    assert.equal(why('params.ttl > 100 || env.MISSING'), 'params.ttl is 60 and env.MISSING is not set')
    assert.equal(why('!params.notify'), 'params.notify is true')
  })

  test('never shows a secret it read', () => {
    const reason = why("secrets.token == 'x'")
    assert.equal(reason, "secrets.token is a secret, not 'x'")
    assert.ok(!reason.includes('hunter2'))
  })
})
