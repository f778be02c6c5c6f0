// What the tree, the CI log and `status` say must be what the journal says is true: after a
// rollback, after Ctrl-C, with warnings, with retries, and with checks an `if:` turned off. Through
// the built CLI, with real files and processes; a tmux terminal where the tree is what matters.
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import {
  journalEvents,
  scratchSpace,
  startSwitchyard,
  switchyard,
  waitUntil,
  writeRunbook,
} from './helpers/cli.ts'
import { hasTmux, openTerminal, type Terminal } from './helpers/pty.ts'

const space = scratchSpace('screens')
after(space.cleanup)

const undoable = (id: string) => `      - id: ${id}
        uses: exec
        with: { command: sh, args: [-c, 'echo ${id}'], rollback: { command: sh, args: [-c, 'echo undo ${id}'] } }
`

/** Three phases of one undoable step each: a, b, c. */
const threePhases = `version: 1
name: three-phases
phases:
  - id: one
    steps:
${undoable('a')}  - id: two
    steps:
${undoable('b')}  - id: three
    steps:
${undoable('c')}`

/** Phase two's b runs until the file `go` appears, so a test can press Ctrl-C while it runs; c needs b. */
const stoppable = `version: 1
name: stoppable
phases:
  - id: one
    steps:
      - { id: a, uses: exec, with: { command: 'true' } }
  - id: two
    steps:
      - id: b
        uses: exec
        with: { command: sh, args: [-c, 'touch b.started; while [ ! -f go ]; do sleep 0.05; done'] }
      - { id: c, uses: exec, needs: [b], with: { command: 'true' } }
  - id: three
    steps:
      - { id: d, uses: exec, with: { command: 'true' } }
`

/** ad.sync over plain LDAP to nothing: it warns before it connects, then fails and is continued. */
const warning = `version: 1
name: warns
targets:
  dc-a: { ldap: { url: "ldap://127.0.0.1:1", bind_dn: "cn=admin,dc=example", password: "pw-123456", insecure: true } }
  dc-b: { ldap: { url: "ldap://127.0.0.1:2", bind_dn: "cn=admin,dc=example", password: "pw-123456", insecure: true } }
phases:
  - id: one
    steps:
      - id: directory
        uses: ad.sync
        continue_on_error: true
        retry: { attempts: 1 }
        with: { source: dc-a, target: dc-b, canary: { dn: "cn=canary,dc=example" }, timeout: 1s }
      - { id: after, uses: exec, needs: [directory], with: { command: 'true' } }
`
const PLAIN_LDAP = 'dc-a (ldap://127.0.0.1:1) uses plain LDAP (insecure: true)'

interface StatusJson {
  status: string
  phases: Record<string, { status: string; startedAt?: string; completedAt?: string }>
  steps: Record<
    string,
    {
      status: string
      attempts: number
      outputs?: Record<string, unknown>
      undoneOutputs?: Record<string, unknown>
      warnings?: string[]
    }
  >
  warnings: string[]
}

function statusJson(dir: string): StatusJson {
  const result = switchyard(dir, ['status', '--json'])
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout)
}

function workspaceWith(runbook: string): string {
  const dir = space.workspace()
  writeRunbook(dir, runbook)
  return dir
}

/** Starts the stoppable runbook with the line renderer, stops it with one SIGINT while b runs. */
async function interruptInPhaseTwo(dir: string) {
  const run = startSwitchyard(dir, ['run', 'runbook.yaml'])
  await waitUntil(() => existsSync(join(dir, 'b.started')), 'step b to start')
  run.child.kill('SIGINT')
  await waitUntil(() => run.output().includes('no new steps start'), 'the stop to be acknowledged')
  writeFileSync(join(dir, 'go'), '')
  return run.done
}

/** Runs the CLI in a terminal, lets `use` drive it, and returns everything it showed, then closes it. */
async function inTerminal(dir: string, args: string[], use: (terminal: Terminal) => Promise<void>) {
  const terminal = openTerminal(args, { cwd: dir })
  try {
    await use(terminal)
    await terminal.exited()
    return terminal.history()
  } finally {
    terminal.close()
  }
}

describe('the tree on a terminal', { skip: !hasTmux && 'tmux is not installed' }, () => {
  test('after rollback --to one, every phase after one has a rolled-back mark of its own, not ✔', async () => {
    const dir = workspaceWith(threePhases)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const frame = await inTerminal(dir, ['rollback', '--to', 'one'], async () => {})
    assert.match(frame, /^✔ one$/m)
    assert.match(frame, /^← two \(rolled back to one\)$/m)
    assert.match(frame, /^← three \(rolled back to one\)$/m)
    assert.doesNotMatch(frame, /✔ (two|three)/)
    assert.match(frame, /^rolled back to one: 2 step\(s\) undone$/m)
  })

  test('after Ctrl-C, a phase whose steps did not all finish is not ✔, and says how far it got', async () => {
    const dir = workspaceWith(stoppable)
    const frame = await inTerminal(dir, ['run', 'runbook.yaml'], async (terminal) => {
      await waitUntil(() => existsSync(join(dir, 'b.started')), 'step b to start')
      terminal.press('C-c')
      await terminal.waitFor(/no new steps start/, { inHistory: true })
      writeFileSync(join(dir, 'go'), '')
    })
    assert.match(frame, /^✔ one$/m)
    assert.match(frame, /^↓ two \(stopped: 1 of 2 steps finished\)$/m)
    assert.doesNotMatch(frame, /✔ two/)
    assert.match(frame, /paused: interrupted by the operator/)
  })

  test('a warning shows under its step, stays under its folded phase, and again at the end', async () => {
    const dir = workspaceWith(warning)
    const frame = await inTerminal(dir, ['run', 'runbook.yaml'], async () => {})
    assert.match(frame, /^✔ one\n\s+directory: warning: dc-a \(ldap:\/\/127\.0\.0\.1:1\) uses plain LDAP/m)
    assert.ok(frame.includes(`warning: one.directory: ${PLAIN_LDAP}`), `no warning in the summary:\n${frame}`)
    assert.match(frame, /^run \S+ completed$/m)
  })
})

describe('the CI log', () => {
  test('a rollback names every phase it took back, in words', () => {
    const dir = workspaceWith(threePhases)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const rollback = switchyard(dir, ['rollback', '--to', 'one'])
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr)
    assert.match(
      rollback.stdout,
      /phase two rolled back\n.*phase three rolled back\n.*rollback to one completed/,
    )
    assert.doesNotMatch(rollback.stdout, /phase one rolled back/)
  })

  test('Ctrl-C: the phase left part-way is named as stopped, with the steps that did not finish', async () => {
    const dir = workspaceWith(stoppable)
    const result = await interruptInPhaseTwo(dir)
    assert.match(result.stdout, /phase two stopped: 1 of 2 steps finished; not finished: c\n.*run paused/)
    assert.doesNotMatch(result.stdout, /phase two completed/)
  })

  test('every warning is printed under its step and again in a summary at the end', () => {
    const dir = workspaceWith(warning)
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.ok(result.stdout.includes(`one.directory warning: ${PLAIN_LDAP}`), result.stdout)
    const summary = result.stdout.slice(result.stdout.indexOf('1 warning(s):'))
    assert.ok(summary.includes(`one.directory: ${PLAIN_LDAP}`), result.stdout)
  })
})

describe('status', () => {
  test('a paused run shows no phase running; the phase it stopped in is paused', async () => {
    const dir = workspaceWith(stoppable)
    await interruptInPhaseTwo(dir)
    const state = statusJson(dir)
    assert.equal(state.status, 'paused')
    assert.equal(state.phases.two?.status, 'paused')
    assert.ok(!Object.values(state.phases).some((p) => p.status === 'running'), JSON.stringify(state.phases))
    assert.match(switchyard(dir, ['status']).stdout, /^phase two: paused$/m)
  })

  test('after a rollback, undone steps show their outputs as undone and pending phases keep no times', () => {
    const dir = workspaceWith(threePhases)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    assert.equal(switchyard(dir, ['rollback', '--to', 'one']).code, 0)
    const state = statusJson(dir)
    assert.deepEqual(state.phases.two, { status: 'pending' })
    assert.deepEqual(state.phases.three, { status: 'pending' })
    assert.equal(state.steps.b?.outputs, undefined)
    assert.equal(state.steps.b?.undoneOutputs?.stdout, 'b')
    assert.equal(state.steps.a?.outputs?.stdout, 'a', 'a step before the rollback point keeps its outputs')
    const text = switchyard(dir, ['status']).stdout
    assert.match(text, /^ {6}stdout: b \(undone\)$/m)
    assert.match(text, /^ {6}stdout: a$/m)

    // Run again: the phase's times are those of the new attempt.
    const rolledBackAt = new Date().toISOString()
    assert.equal(switchyard(dir, ['resume']).code, 0)
    const again = statusJson(dir)
    assert.equal(again.phases.two?.status, 'completed')
    assert.ok((again.phases.two?.startedAt ?? '') >= rolledBackAt, JSON.stringify(again.phases.two))
    assert.equal(again.steps.b?.undoneOutputs, undefined)
    assert.equal(again.steps.b?.outputs?.stdout, 'b')
  })

  test('warnings come from the journal: status lists them, status --json carries them', () => {
    const dir = workspaceWith(warning)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const journaled = journalEvents(dir).filter((e) => e.type === 'step-warning')
    assert.deepEqual(
      journaled.map((e) => [e.step, String(e.message).startsWith(PLAIN_LDAP)]),
      [['directory', true]],
    )
    const state = statusJson(dir)
    assert.equal(state.warnings.length, 1)
    assert.ok(state.warnings[0]?.startsWith(`directory: ${PLAIN_LDAP}`), JSON.stringify(state.warnings))
    assert.ok(state.steps.directory?.warnings?.[0]?.startsWith(PLAIN_LDAP))
    const text = switchyard(dir, ['status']).stdout
    assert.ok(text.includes(`      warning: ${PLAIN_LDAP}`), text)
    assert.ok(text.includes(`warning: directory: ${PLAIN_LDAP}`), text)
  })
})

describe('retries', () => {
  test('a step refused before it acted (nothing was changed) is tried once, not retried', () => {
    const dir = workspaceWith(`version: 1
name: refused
params:
  source: { default: "ldap://127.0.0.1:1" }
targets:
  # Given by a param, so only the step can see it is plain LDAP without insecure: true.
  dc-a: { ldap: { url: "\${{ params.source }}", bind_dn: "cn=admin,dc=example", password: "pw-123456" } }
  dc-b: { ldap: { url: "ldaps://127.0.0.1:2", bind_dn: "cn=admin,dc=example", password: "pw-123456" } }
defaults:
  retry: { attempts: 3, backoff: 10ms }
phases:
  - id: one
    steps:
      - { id: directory, uses: ad.sync, with: { source: dc-a, target: dc-b, canary: { dn: "cn=canary,dc=example" } } }
`)
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.notEqual(result.code, 0)
    assert.match(
      result.stdout,
      /one\.directory failed: dc-a \(ldap:\/\/127\.0\.0\.1:1\): plain ldap:\/\/ sends/,
    )
    assert.doesNotMatch(result.stdout, /retrying/)
    assert.equal(journalEvents(dir).filter((e) => e.type === 'step-started').length, 1)
  })

  test('resume gives a failed step its attempts again, counted from 1: never "attempt 3 of 2"', () => {
    const dir = workspaceWith(`version: 1
name: flaky
phases:
  - id: one
    steps:
      - { id: flaky, uses: exec, retry: { attempts: 2, backoff: 10ms }, with: { command: 'false' } }
`)
    const first = switchyard(dir, ['run', 'runbook.yaml'])
    assert.match(first.stdout, /one\.flaky started \(attempt 2 of 2\)/)
    const resumed = switchyard(dir, ['resume'])
    assert.match(
      resumed.stdout,
      /one\.flaky started \(attempt 1 of 2\)[\s\S]*one\.flaky started \(attempt 2 of 2\)/,
    )
    assert.doesNotMatch(resumed.stdout, /attempt [3-9]/)
    assert.equal(statusJson(dir).steps.flaky?.attempts, 4, 'status counts every attempt of the run')
  })
})

describe('checks turned off by if:', () => {
  test('are skipped saying what the condition read, and a wait on one stands down instead of passing', () => {
    const dir = workspaceWith(`version: 1
name: probes
params:
  ldap: { default: "no" }
phases:
  - id: one
    steps:
      - id: probe
        uses: exec
        if: \${{ params.ldap == 'yes' && true }}
        with: { command: 'true', idempotent: true }
  - id: two
    steps:
      - { id: settle, uses: wait, with: { until: probe, interval: 10ms } }
`)
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(
      result.stdout,
      /one\.probe skipped: condition was false \(params\.ldap is 'no', not 'yes'\)\n/,
    )
    assert.match(result.stdout, /two\.settle probe stands down \(skipped: params\.ldap is 'no', not 'yes'\)/)
    assert.doesNotMatch(result.stdout, /\$\{\{|probe passed/)
    assert.match(
      switchyard(dir, ['status']).stdout,
      /probe +skipped {2}\(condition was false \(params\.ldap is 'no', not 'yes'\)\)/,
    )
  })
})
