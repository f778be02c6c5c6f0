import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { journalEvents, lines, switchyard } from './helpers/cli.ts'
import { undoableStep, useWorkspaces } from './helpers/workspaces.ts'

const workspace = useWorkspaces('approvals')

const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr
const me = userInfo().username
const approvals = (dir: string) => journalEvents(dir).filter((e) => e.type === 'approval-granted')

describe('approval gates and approve steps', () => {
  const GATED = `version: 1
name: gated
defaults: { retry: { attempts: 3, backoff: 10ms } }
phases:
  - id: prepare
    steps:
${undoableStep('prep')}  - id: traffic
    approval: required
    on_failure: rollback
    steps:
      - { id: go, uses: approve, with: { message: Shift the traffic now? } }
${undoableStep('shift', 'go')}`

  test('--approve PHASE opens the gate only: the approve step inside pauses with exit 3, is not retried and rolls nothing back', () => {
    const dir = workspace(GATED)
    const first = switchyard(dir, ['run', 'runbook.yaml', '--approve', 'traffic'])
    assert.equal(first.code, 3, output(first))
    assert.match(output(first), /step go needs an approval and no one was asked/)
    assert.match(output(first), /add --approve go/)
    assert.deepEqual(lines(join(dir, 'applied.log')), ['prep'], 'shift waits for go')
    const events = journalEvents(dir)
    assert.equal(events.filter((e) => e.type === 'step-started' && e.step === 'go').length, 1, 'asked once')
    assert.ok(!events.some((e) => e.type === 'rollback-started'), 'a missing approval is not a failure')
    assert.deepEqual(
      approvals(dir).map((a) => [a.phase, a.step, a.flag]),
      [['traffic', undefined, '--approve traffic']],
      'the gate is approved with exactly what was typed, and nothing else is',
    )

    const resumed = switchyard(dir, ['resume', '--approve', 'go'])
    assert.equal(resumed.code, 0, output(resumed))
    assert.deepEqual(lines(join(dir, 'applied.log')), ['prep', 'shift'])
    assert.deepEqual(
      approvals(dir).map((a) => [a.step ?? a.phase, a.flag, a.operator, a.osUser]),
      [
        ['traffic', '--approve traffic', me, me],
        ['go', '--approve go', me, me],
      ],
    )
  })

  test('an --approve that names no phase or step is refused with exit 2 before anything runs', () => {
    const dir = workspace(GATED)
    const typo = switchyard(dir, ['run', 'runbook.yaml', '--approve', 'trafic'])
    assert.equal(typo.code, 2, output(typo))
    assert.match(typo.stderr, /--approve trafic: no phase or step of the runbook is named trafic/)
    assert.match(typo.stderr, /did you mean 'traffic'\?/)
    assert.equal(existsSync(join(dir, '.switchyard')), false)
  })

  test('an approval does not survive a rollback past its phase: going forward again asks again', () => {
    const dir = workspace(GATED)
    const done = switchyard(dir, ['run', 'runbook.yaml', '--approve', 'traffic', '--approve', 'go'])
    assert.equal(done.code, 0, output(done))
    const back = switchyard(dir, ['rollback', '--to', 'prepare'])
    assert.equal(back.code, 0, output(back))
    assert.deepEqual(lines(join(dir, 'undone.log')), ['shift'])

    const again = switchyard(dir, ['resume'])
    assert.equal(again.code, 3, output(again))
    assert.match(output(again), /phase traffic needs an approval/)
    assert.deepEqual(lines(join(dir, 'applied.log')), ['prep', 'shift'], 'nothing re-applied unapproved')
    const gateOnly = switchyard(dir, ['resume', '--approve', 'traffic'])
    assert.equal(gateOnly.code, 3, output(gateOnly))
    assert.match(output(gateOnly), /step go needs an approval/)
    const forward = switchyard(dir, ['resume', '--approve', 'go'])
    assert.equal(forward.code, 0, output(forward))
    assert.deepEqual(lines(join(dir, 'applied.log')), ['prep', 'shift', 'shift'])
    const state = JSON.parse(switchyard(dir, ['status', '--json']).stdout)
    assert.deepEqual(
      state.approvals.map((a: { step?: string; phase: string }) => a.step ?? a.phase),
      ['traffic', 'go'],
      'status lists the approvals that hold now',
    )
  })
})

describe('approvers: who switchyard can prove', () => {
  const guarded = (approvers: string[]) => `version: 1
name: guarded
phases:
  - id: traffic
    steps:
      - id: go
        uses: approve
        with: { message: Shift the traffic now?, approvers: ${JSON.stringify(approvers)} }
${undoableStep('shift', 'go')}`

  test('SWITCHYARD_OPERATOR cannot satisfy approvers: the run is refused with exit 3, naming what is proven', () => {
    const dir = workspace(guarded(['alice-not-this-user']))
    const refused = switchyard(dir, ['run', 'runbook.yaml', '--yes'], {
      SWITCHYARD_OPERATOR: 'alice-not-this-user',
    })
    assert.equal(refused.code, 3, output(refused))
    assert.match(
      output(refused),
      new RegExp(`step go must be approved by alice-not-this-user; switchyard can prove only OS user ${me}`),
    )
    assert.equal(existsSync(join(dir, 'applied.log')), false)
    assert.equal(approvals(dir).length, 0)
  })

  test('the OS user satisfies approvers, and the journal and status say it was the proof', () => {
    const dir = workspace(guarded(['someone-else', me]))
    const ok = switchyard(dir, ['run', 'runbook.yaml', '--yes'], { SWITCHYARD_OPERATOR: 'night-shift' })
    assert.equal(ok.code, 0, output(ok))
    const [approval] = approvals(dir)
    assert.equal(approval?.operator, 'night-shift')
    assert.equal(approval?.osUser, me)
    assert.deepEqual(approval?.approver, { identity: 'os user', name: me })
    assert.match(
      switchyard(dir, ['status']).stdout,
      new RegExp(`go by night-shift at .* via flag: --yes \\[approver proven as os user ${me}\\]`),
    )
  })
})

describe('approvers: the AWS caller identity, for runbooks that use AWS', () => {
  const aws = useAwsSandbox('approvers-aws')

  test('an approver named by ARN is matched against what STS says the caller is', async () => {
    const arn = 'arn:aws:sts::123456789012:assumed-role/CutoverApprover/ana'
    const topic = aws.sandbox.world.sns.addTopic('approvals')
    const runbook = `version: 1
name: aws-guarded
phases:
  - id: traffic
    steps:
      - id: go
        uses: approve
        with: { message: Shift the traffic now?, approvers: ["${arn}"] }
      - { id: tell, uses: sns.notify, needs: go, with: { topic: "${topic}", message: shifted } }
`
    const refusedDir = aws.workspace(runbook)
    const refused = await aws.switchyard(refusedDir, ['run', 'runbook.yaml', '--yes'])
    assert.equal(refused.code, 3, output(refused))
    assert.match(output(refused), /switchyard can prove only OS user .* and AWS identity arn:aws:iam::/)

    aws.sandbox.world.sts.setIdentity({ Arn: arn })
    const dir = aws.workspace(runbook)
    const ok = await aws.switchyard(dir, ['run', 'runbook.yaml', '--yes'])
    assert.equal(ok.code, 0, output(ok))
    const [approval] = approvals(dir)
    assert.deepEqual(approval?.approver, { identity: 'aws identity', name: arn })
    assert.equal(approval?.awsIdentity, arn)
  })
})

describe('manual undo', () => {
  const MANUAL = `version: 1
name: by-hand
phases:
  - id: one
    steps:
${undoableStep('a')}      - { id: m, uses: exec, needs: a, with: { command: sh, args: [-c, 'echo m >> applied.log'] } }
`

  test('rollback --yes never confirms a manual undo; --approve STEP needs a reason, and both are journaled', () => {
    const dir = workspace(MANUAL)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const yes = switchyard(dir, ['rollback', '--to', 'start', '--yes'])
    assert.equal(yes.code, 3, output(yes))
    assert.match(output(yes), /step m must be undone by hand, and no one confirmed it/)
    assert.match(output(yes), /--approve m --reason/)
    assert.ok(!journalEvents(dir).some((e) => e.type === 'manual-undo-confirmed'))
    assert.equal(existsSync(join(dir, 'undone.log')), false, 'stops before the steps after it')

    const noReason = switchyard(dir, ['rollback', '--to', 'start', '--approve', 'm'])
    assert.equal(noReason.code, 2, output(noReason))
    assert.match(noReason.stderr, /reason/)

    const confirmed = switchyard(dir, [
      'rollback',
      '--to',
      'start',
      '--approve',
      'm',
      '--reason',
      'removed the line from applied.log by hand',
    ])
    assert.equal(confirmed.code, 0, output(confirmed))
    assert.deepEqual(lines(join(dir, 'undone.log')), ['a'])
    const manual = journalEvents(dir).find((e) => e.type === 'manual-undo-confirmed')
    assert.equal(manual?.step, 'm')
    assert.equal(manual?.reason, 'removed the line from applied.log by hand')
    assert.equal(manual?.flag, '--approve m')
    assert.equal(manual?.osUser, me)
  })
})
