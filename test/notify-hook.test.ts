import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'

const aws = useAwsSandbox('notify')
let created: string | undefined
const topicArn = () => {
  created ??= aws.sandbox.world.sns.addTopic('cutover')
  return created
}

const workspace = (topicArn: string, failing = false) =>
  aws.workspace(`version: 1
name: noisy
notify: { topic: "${topicArn}" }
phases:
  - id: one
    steps: [{ id: a, uses: exec, with: { command: ${failing ? "'false'" : "'true'"} } }]
  - id: two
    steps: [{ id: b, uses: exec, with: { command: 'true' } }]
`)

const run = (dir: string, args: string[]) => aws.switchyard(dir, args)
const subjects = () => aws.sandbox.world.sns.messages.map((m) => String(m.subject))

describe('the notify: hook', () => {
  test('publishes each phase start and finish and the end of the run to the topic', async () => {
    aws.sandbox.world.sns.messages.length = 0
    const result = await run(workspace(topicArn()), ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(subjects(), [
      'switchyard phase-started: one',
      'switchyard phase-completed: one',
      'switchyard phase-started: two',
      'switchyard phase-completed: two',
      'switchyard run-completed',
    ])
  })

  test('a failure and the pause are published; a dry run publishes nothing', async () => {
    aws.sandbox.world.sns.messages.length = 0
    const dir = workspace(topicArn(), true)
    assert.equal((await run(dir, ['run', 'runbook.yaml', '--dry-run'])).code, 0)
    assert.deepEqual(subjects(), [])
    assert.equal((await run(dir, ['run', 'runbook.yaml'])).code, 1)
    assert.ok(subjects().some((s) => s.startsWith('switchyard step-failed: a')))
    assert.ok(subjects().some((s) => s.startsWith('switchyard run-paused')))
  })

  test('a topic that cannot be reached is a warning, never a reason to stop the cutover', async () => {
    const dir = workspace(topicArn().replace(/cutover$/, 'no-such-topic'))
    const result = await run(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /notify arn:aws:sns:.*no-such-topic: SNS Publish failed: NotFound/)
  })
})
