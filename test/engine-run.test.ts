import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import {
  allBytes,
  invokedAs,
  invokedPattern,
  journalEvents,
  lines,
  startSwitchyard,
  switchyard,
  tempDir,
  waitUntil,
  writeRunbook,
} from './helpers/cli.ts'

const scratch = tempDir('engine')
after(scratch.cleanup)
let n = 0
function workspace(): string {
  const dir = join(scratch.dir, `w${++n}`)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** A step that appends its id (and start/end times) to log.txt: order and overlap are visible. */
const mark = (id: string, extra = '') => `      - id: ${id}
        uses: exec
${extra}        with:
          command: sh
          args: [-c, 'echo "start ${id}" >> log.txt; sleep 0.2; echo "end ${id}" >> log.txt']
          idempotent: true
`

describe('run', () => {
  test('steps run in needs order, at most `concurrency` at once, and phases in order', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: order
phases:
  - id: one
    concurrency: 2
    steps:
${mark('a')}${mark('b', '        needs: a\n')}${mark('c', '        needs: a\n')}${mark('d', '        needs: a\n')}${mark('e', '        needs: [b, c, d]\n')}  - id: two
    steps:
${mark('f')}`,
    )
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const log = lines(join(dir, 'log.txt'))
    const at = (line: string) => log.indexOf(line)
    assert.ok(at('end a') < at('start b') && at('end a') < at('start c') && at('end a') < at('start d'))
    for (const x of ['b', 'c', 'd']) assert.ok(at(`end ${x}`) < at('start e'), `e waits for ${x}`)
    assert.ok(at('end e') < at('start f'), 'phase two waits for phase one')
    let running = 0
    let peak = 0
    for (const line of log) {
      running += line.startsWith('start') ? 1 : -1
      peak = Math.max(peak, running)
    }
    assert.equal(peak, 2, `concurrency 2 is used and never exceeded:\n${log.join('\n')}`)
    const types = journalEvents(dir).map((e) => e.type)
    assert.equal(types.at(0), 'run-started')
    assert.equal(types.at(-1), 'run-completed')
  })

  test("a failed step's dependents are skipped, naming the root cause once, and the run pauses", () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: failing
phases:
  - id: one
    steps:
      - id: broken
        uses: exec
        with: { command: sh, args: [-c, 'what=disk; echo "$what full" >&2; exit 3'] }
      - id: child
        uses: exec
        needs: broken
        with: { command: touch, args: [child-ran] }
      - id: grandchild
        uses: exec
        needs: child
        with: { command: touch, args: [grandchild-ran] }
  - id: two
    steps:
      - { id: later, uses: exec, with: { command: touch, args: [later-ran] } }
`,
    )
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 1)
    const out = result.stdout + result.stderr
    assert.match(out, /child.*skipped: upstream broken failed/)
    assert.match(out, /grandchild.*skipped: upstream broken failed/)
    assert.equal(out.match(/exited with code 3/g)?.length ?? 0, 1, `root cause shown once:\n${out}`)
    assert.match(out, new RegExp(`${invokedPattern} resume `))
    for (const f of ['child-ran', 'grandchild-ran', 'later-ran'])
      assert.equal(existsSync(join(dir, f)), false, f)
    const events = journalEvents(dir)
    assert.equal(events.at(-1)?.type, 'run-paused')
  })

  test('if: false skips a step; retry tries again with backoff; continue_on_error lets dependents run', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: policies
params: { go: { type: boolean, default: false } }
phases:
  - id: one
    steps:
      - { id: skipped, uses: exec, if: params.go, with: { command: touch, args: [skipped-ran] } }
      - id: flaky
        uses: exec
        retry: { attempts: 3, backoff: 100ms }
        with: { command: sh, args: [-c, 'echo x >> tries; [ $(wc -l < tries) -ge 3 ]'] }
      - id: tolerated
        uses: exec
        continue_on_error: true
        with: { command: 'false' }
      - id: after
        uses: exec
        needs: [tolerated, skipped]
        with: { command: touch, args: [after-ran] }
`,
    )
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(existsSync(join(dir, 'skipped-ran')), false)
    assert.equal(lines(join(dir, 'tries')).length, 3)
    assert.equal(existsSync(join(dir, 'after-ran')), true)
    const failed = journalEvents(dir).filter((e) => e.type === 'step-failed' && e.step === 'flaky')
    assert.deepEqual(
      failed.map((e) => e.willRetry),
      [true, true],
    )
  })

  test('a step that outlives its timeout is stopped and fails with the timeout named', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: slow
phases:
  - id: one
    steps:
      - { id: sleepy, uses: exec, timeout: 500ms, with: { command: sleep, args: ['30'] } }
`,
    )
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 1)
    assert.match(result.stdout + result.stderr, /timed out after 500ms/)
  })

  test('--dry-run and plan leave every marker untouched and write no state', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: rehearse
phases:
  - id: one
    approval: required
    steps:
      - { id: a, uses: exec, with: { command: touch, args: [a-ran] } }
      - { id: b, uses: exec, needs: a, with: { command: touch, args: [b-ran], idempotent: true, rollback: { command: rm, args: [b-ran] } } }
`,
    )
    const dry = switchyard(dir, ['run', 'runbook.yaml', '--dry-run'])
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    const plan = switchyard(dir, ['plan', 'runbook.yaml', '--out', 'plan.json'])
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.match(plan.stdout, /~ a: run touch a-ran {2}\[rollback: manual\]/)
    assert.match(plan.stdout, /~ b: run touch b-ran$/m)
    assert.deepEqual(readdirSync(dir).sort(), ['plan.json', 'runbook.yaml'])
  })

  test('run --plan executes a reviewed plan, and refuses a stale one', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: planned
params: { file: { default: first } }
phases:
  - id: one
    steps:
      - { id: a, uses: exec, with: { command: touch, args: ['\${{ params.file }}'] } }
`,
    )
    assert.equal(switchyard(dir, ['plan', 'runbook.yaml', '--out', 'plan.json']).code, 0)
    const other = switchyard(dir, ['run', 'runbook.yaml', '--plan', 'plan.json', '-p', 'file=second'])
    assert.equal(other.code, 3)
    assert.match(other.stderr, /plan is stale: it was made with other params/)
    const ok = switchyard(dir, ['run', 'runbook.yaml', '--plan', 'plan.json'])
    assert.equal(ok.code, 0, ok.stdout + ok.stderr)
    assert.equal(existsSync(join(dir, 'first')), true)
  })

  test('an approval gate without a terminal pauses with exit 3 until --approve is given', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: gated
phases:
  - id: prepare
    steps: [{ id: a, uses: exec, with: { command: touch, args: [a-ran] } }]
  - id: traffic
    approval: required
    steps: [{ id: b, uses: exec, with: { command: touch, args: [b-ran] } }]
`,
    )
    const first = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(first.code, 3, first.stdout + first.stderr)
    assert.match(first.stdout + first.stderr, /--approve traffic/)
    assert.equal(existsSync(join(dir, 'b-ran')), false)
    const resumed = switchyard(dir, ['resume', '--approve', 'traffic'], { SWITCHYARD_OPERATOR: 'ana' })
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.equal(existsSync(join(dir, 'b-ran')), true)
    const approval = journalEvents(dir).find((e) => e.type === 'approval-granted')
    assert.equal(approval?.operator, 'ana')
    assert.equal(approval?.phase, 'traffic')
    const status = switchyard(dir, ['status'])
    assert.match(status.stdout, /traffic by ana at .* via flag: --approve traffic/)
  })

  test('--until stops cleanly after a phase, and resume continues from there', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: staged
phases:
  - id: one
    steps: [{ id: a, uses: exec, with: { command: touch, args: [a-ran] } }]
  - id: two
    steps: [{ id: b, uses: exec, with: { command: touch, args: [b-ran] } }]
`,
    )
    const first = switchyard(dir, ['run', 'runbook.yaml', '--until', 'one'])
    assert.equal(first.code, 0, first.stdout + first.stderr)
    assert.equal(existsSync(join(dir, 'b-ran')), false)
    const second = switchyard(dir, ['resume'])
    assert.equal(second.code, 0, second.stdout + second.stderr)
    assert.equal(existsSync(join(dir, 'b-ran')), true)
  })

  test('a bad --until is refused as bad input before any secret or AWS is touched', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: early
secrets: { token: { from: "env:UNSET_TOKEN_FOR_TEST" } }
phases:
  - id: one
    steps: [{ id: a, uses: noop }]
`,
    )
    const result = switchyard(dir, ['run', 'runbook.yaml', '--until', 'nope'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /--until nope: no such phase/)
    assert.doesNotMatch(result.stderr, /UNSET_TOKEN_FOR_TEST/)
    assert.equal(existsSync(join(dir, '.switchyard')), false)
  })

  test('resume refuses an edited runbook, naming what changed, unless --force', () => {
    const dir = workspace()
    const text = `version: 1
name: edited
phases:
  - id: one
    steps: [{ id: a, uses: exec, with: { command: touch, args: [a-ran] } }]
  - id: two
    approval: required
    steps: [{ id: b, uses: exec, with: { command: touch, args: [b-ran] } }]
`
    writeRunbook(dir, text)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 3)
    writeFileSync(join(dir, 'runbook.yaml'), text.replace('args: [b-ran]', 'args: [c-ran]'))
    const refused = switchyard(dir, ['resume', '--approve', 'two'])
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /has changed since run .* started:\n {2}- steps changed: b/)
    const forced = switchyard(dir, ['resume', '--approve', 'two', '--force'])
    assert.equal(forced.code, 0, forced.stdout + forced.stderr)
    assert.equal(existsSync(join(dir, 'c-ran')), true)
  })
})

describe('locks', () => {
  test('two concurrent runs: exactly one proceeds, the other exits 3 naming the holder', async () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: exclusive
phases:
  - id: one
    steps: [{ id: a, uses: exec, with: { command: sh, args: [-c, 'echo ran >> runs.txt; sleep 2'] } }]
`,
    )
    const one = startSwitchyard(dir, ['run', 'runbook.yaml'], { SWITCHYARD_OPERATOR: 'first' })
    const two = startSwitchyard(dir, ['run', 'runbook.yaml'], { SWITCHYARD_OPERATOR: 'second' })
    const results = await Promise.all([one.done, two.done])
    const codes = results.map((r) => r.code).sort()
    assert.deepEqual(codes, [0, 3], results.map((r) => r.stdout + r.stderr).join('\n---\n'))
    const refused = results.find((r) => r.code === 3) as { stderr: string }
    assert.match(refused.stderr, /runbook exclusive is locked by (first|second) on .* \(pid \d+, run /)
    assert.equal(lines(join(dir, 'runs.txt')).length, 1)
  })

  test('a lock left by a dead process is reported stale with the command to break it', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: stale
phases:
  - id: one
    steps: [{ id: a, uses: exec, with: { command: touch, args: [a-ran], idempotent: true } }]
`,
    )
    // Which events share the second write depends on the runtime's scheduling; an idempotent step
    // resumes the same whether the kill came before it started or while it ran.
    const killed = switchyard(dir, ['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: '2' })
    assert.equal(killed.signal, 'SIGKILL')
    const refused = switchyard(dir, ['resume'])
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /that process is gone: the lock is stale/)
    assert.ok(refused.stderr.includes(`${invokedAs} unlock stale --force`), refused.stderr)
    const unlocked = switchyard(dir, ['unlock', 'stale', '--force'], { SWITCHYARD_OPERATOR: 'ops-lead' })
    assert.equal(unlocked.code, 0, unlocked.stderr)
    assert.ok(
      journalEvents(dir).some((e) => e.type === 'lock-broken' && String(e.by).startsWith('ops-lead@')),
    )
    assert.equal(switchyard(dir, ['resume']).code, 0)
    assert.equal(existsSync(join(dir, 'a-ran')), true)
  })
})

describe('secrets', () => {
  test('a secret value never appears in any byte the CLI writes', () => {
    const dir = workspace()
    const canary = 'canary-7f3a9c1e-secret'
    writeRunbook(
      dir,
      `version: 1
name: secretive
secrets: { token: { from: "env:GIFTCARD_TOKEN" } }
phases:
  - id: one
    steps:
      - id: echo
        uses: exec
        with:
          command: sh
          args: [-c, 'echo "token is $TOKEN"; echo "stderr $TOKEN" >&2; echo "$TOKEN" > seen.txt']
          env: { TOKEN: "\${{ secrets.token }}" }
      - id: fail
        uses: exec
        needs: echo
        with: { command: sh, args: [-c, 'echo "bad \${{ secrets.token }}" >&2; exit 1'] }
`,
    )
    const outputs = [
      switchyard(dir, ['run', 'runbook.yaml'], { GIFTCARD_TOKEN: canary }),
      switchyard(dir, ['status'], { GIFTCARD_TOKEN: canary }),
      switchyard(dir, ['status', '--json'], { GIFTCARD_TOKEN: canary }),
      switchyard(dir, ['runs', '--json'], { GIFTCARD_TOKEN: canary }),
      switchyard(dir, ['resume', '--json'], { GIFTCARD_TOKEN: canary }),
      switchyard(dir, ['run', 'runbook.yaml', '--dry-run', '--json'], { GIFTCARD_TOKEN: canary }),
    ]
    assert.equal(
      readFileSync(join(dir, 'seen.txt'), 'utf8').trim(),
      canary,
      'the step did receive the secret',
    )
    for (const o of outputs) {
      assert.ok(!o.stdout.includes(canary), o.stdout)
      assert.ok(!o.stderr.includes(canary), o.stderr)
    }
    assert.match(outputs[0]?.stdout ?? '', /\*\*\*/)
    assert.ok(!allBytes(join(dir, '.switchyard')).includes(canary), 'state dir is clean')
  })
})

describe('the README quick start', () => {
  test('plan, run --until, resume, rollback and resume again move the demo site and back', () => {
    const dir = workspace()
    writeFileSync(
      join(dir, 'quickstart.yaml'),
      readFileSync(join(import.meta.dirname, '..', 'runbooks', 'quickstart.yaml')),
    )
    const env = { QUICKSTART_TOKEN: 'quickstart-canary-value' }
    const step = (args: string[], code = 0) => {
      const r = switchyard(dir, args, env)
      assert.equal(r.code, code, `${args.join(' ')}\n${r.stdout}${r.stderr}`)
      assert.ok(!(r.stdout + r.stderr).includes(env.QUICKSTART_TOKEN))
      return r
    }
    assert.match(step(['plan', 'quickstart.yaml']).stdout, /5 change\(s\), 2 of them not undone by rollback/)
    assert.equal(existsSync(join(dir, 'demo')), false, 'plan changes nothing')
    step(['run', 'quickstart.yaml', '--until', 'preflight'])
    step(['resume', '--approve', 'traffic', '--until', 'traffic'])
    assert.equal(readFileSync(join(dir, 'demo', 'weights'), 'utf8').trim(), 'onprem 0 aws 100')
    assert.match(step(['rollback', '--to', 'preflight', '--dry-run']).stdout, /undo\s+traffic\.shift/)
    step(['rollback', '--to', 'preflight'])
    assert.equal(readFileSync(join(dir, 'demo', 'weights'), 'utf8').trim(), 'onprem 100 aws 0')
    step(['resume', '--approve', 'traffic'])
    assert.deepEqual(readdirSync(join(dir, 'demo')).sort(), ['aws', 'onprem.retired', 'weights'])
    assert.match(step(['status']).stdout, /: completed/)
  })
})

describe('interruptions', () => {
  const runbook = `version: 1
name: interruptible
phases:
  - id: one
    steps:
      - { id: slow, uses: exec, with: { command: sh, args: [-c, 'until [ -e go ]; do sleep 0.05; done; touch slow-done'] } }
      - { id: next, uses: exec, needs: slow, with: { command: touch, args: [next-ran] } }
`

  test('Ctrl-C once lets the running step finish, starts nothing new, pauses and says how to resume', async () => {
    const dir = workspace()
    writeRunbook(dir, runbook)
    const run = startSwitchyard(dir, ['run', 'runbook.yaml'])
    await waitUntil(() => run.output().includes('one.slow started'))
    run.child.kill('SIGINT')
    await waitUntil(() => run.output().includes('no new steps start'))
    writeFileSync(join(dir, 'go'), '')
    const result = await run.done
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.equal(existsSync(join(dir, 'slow-done')), true, 'the running step reached its end')
    assert.equal(existsSync(join(dir, 'next-ran')), false, 'no new step started')
    assert.match(result.stdout, /interrupted by the operator \(Ctrl-C\)/)
    assert.match(result.stdout, new RegExp(`${invokedPattern} resume \\S+`))
    assert.equal(journalEvents(dir).at(-1)?.type, 'run-paused')
    assert.equal(switchyard(dir, ['resume']).code, 0)
    assert.equal(existsSync(join(dir, 'next-ran')), true)
  })

  test('Ctrl-C twice aborts the running step through its signal and journals it', async () => {
    const dir = workspace()
    writeRunbook(dir, runbook)
    const run = startSwitchyard(dir, ['run', 'runbook.yaml'])
    await waitUntil(() => run.output().includes('one.slow started'))
    run.child.kill('SIGINT')
    await waitUntil(() => run.output().includes('Ctrl-C again'))
    run.child.kill('SIGINT')
    const result = await run.done
    assert.equal(result.code, 1)
    const events = journalEvents(dir)
    assert.ok(events.some((e) => e.type === 'step-failed' && e.step === 'slow'))
    assert.equal(events.at(-1)?.type, 'run-paused')
    assert.equal(existsSync(join(dir, 'slow-done')), false)
  })

  /** Kills a run right after `charge` is planned, before it acts: found from a reference run's journal. */
  const killAfterPlanned = (text: string): string => {
    const reference = workspace()
    writeRunbook(reference, text)
    assert.equal(switchyard(reference, ['run', 'runbook.yaml']).code, 0)
    const planned = journalEvents(reference).find((e) => e.type === 'step-planned' && e.step === 'charge')
    const dir = workspace()
    writeRunbook(dir, text)
    const killed = switchyard(dir, ['run', 'runbook.yaml'], {
      SWITCHYARD_CRASH_AFTER_EVENTS: String(planned?.seq),
    })
    assert.equal(killed.signal, 'SIGKILL')
    assert.equal(lines(join(dir, 'charges')).length, 0, 'killed before the step acted')
    return dir
  }

  test('a non-idempotent step cut off mid-apply makes resume stop and ask; --skip-step journals who and why', () => {
    const dir = killAfterPlanned(`version: 1
name: careful
phases:
  - id: one
    steps:
      - { id: charge, uses: exec, with: { command: sh, args: [-c, 'echo charged >> charges'] } }
      - { id: after, uses: exec, needs: charge, with: { command: touch, args: [after-ran] } }
`)
    assert.equal(switchyard(dir, ['unlock', 'careful', '--force']).code, 0)
    const asked = switchyard(dir, ['resume'])
    assert.equal(asked.code, 3, asked.stdout + asked.stderr)
    assert.match(asked.stdout, /charge was interrupted mid-apply and is not idempotent/)
    assert.match(asked.stdout, /--retry-step charge.*--skip-step charge/)
    assert.equal(lines(join(dir, 'charges')).length, 0, 'nothing re-applied without a decision')
    const skipped = switchyard(dir, ['resume', '--skip-step', 'charge', '--reason', 'charged by hand'], {
      SWITCHYARD_OPERATOR: 'ana',
    })
    assert.equal(skipped.code, 0, skipped.stdout + skipped.stderr)
    const skip = journalEvents(dir).find((e) => e.type === 'step-skipped' && e.step === 'charge')
    assert.equal(skip?.operator, 'ana')
    assert.equal(skip?.note, 'charged by hand')
    assert.equal(existsSync(join(dir, 'after-ran')), true)
    assert.equal(lines(join(dir, 'charges')).length, 0)
  })

  test('--retry-step applies the interrupted step again, once', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: retried
phases:
  - id: one
    steps:
      - { id: charge, uses: exec, with: { command: sh, args: [-c, 'echo charged >> charges'] } }
`,
    )
    assert.equal(
      switchyard(dir, ['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: '2' }).signal,
      'SIGKILL',
    )
    switchyard(dir, ['unlock', 'retried', '--force'])
    const retried = switchyard(dir, ['resume', '--retry-step', 'charge'])
    assert.equal(retried.code, 0, retried.stdout + retried.stderr)
    assert.equal(lines(join(dir, 'charges')).length, 1)
  })

  test('run --plan refuses a step whose plan changed since it was saved, naming what it sees now', () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1
name: drift
phases:
  - id: one
    steps:
      - { id: a, uses: exec, with: { command: touch, args: ['\${{ env.TARGET_FILE }}'] } }
`,
    )
    assert.equal(
      switchyard(dir, ['plan', 'runbook.yaml', '--out', 'plan.json'], { TARGET_FILE: 'old' }).code,
      0,
    )
    const stale = switchyard(dir, ['run', 'runbook.yaml', '--plan', 'plan.json'], { TARGET_FILE: 'new' })
    assert.notEqual(stale.code, 0)
    assert.match(
      stale.stdout,
      /plan is stale: a now sees run touch new \(the saved plan said run touch old\)/,
    )
    assert.equal(existsSync(join(dir, 'new')), false)
  })
})
