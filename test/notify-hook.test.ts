import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type AwsSandbox, sandboxEnv, startAwsSandbox } from '../src/sandbox/aws/index.ts'
import { startSwitchyard, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('notify')
let sandbox: AwsSandbox
let topic: string
let n = 0

before(async () => {
  sandbox = await startAwsSandbox()
  topic = sandbox.world.sns.addTopic('cutover')
})
after(async () => {
  await sandbox.close()
  scratch.cleanup()
})

const run = (dir: string, args: string[]) =>
  startSwitchyard(dir, args, { ...sandboxEnv(sandbox.url), AWS_REGION: 'us-east-1' }).done

function workspace(topicArn: string, failing = false): string {
  const dir = join(scratch.dir, `w${++n}`)
  mkdirSync(dir, { recursive: true })
  writeRunbook(
    dir,
    `version: 1
name: noisy
notify: { topic: "${topicArn}" }
phases:
  - id: one
    steps: [{ id: a, uses: exec, with: { command: ${failing ? "'false'" : "'true'"} } }]
  - id: two
    steps: [{ id: b, uses: exec, with: { command: 'true' } }]
`,
  )
  return dir
}

const subjects = () => sandbox.world.sns.messages.map((m) => String(m.subject))

describe('the notify: hook', () => {
  test('publishes each phase start and finish and the end of the run to the topic', async () => {
    sandbox.world.sns.messages.length = 0
    const result = await run(workspace(topic), ['run', 'runbook.yaml'])
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
    sandbox.world.sns.messages.length = 0
    const dir = workspace(topic, true)
    assert.equal((await run(dir, ['run', 'runbook.yaml', '--dry-run'])).code, 0)
    assert.deepEqual(subjects(), [])
    assert.equal((await run(dir, ['run', 'runbook.yaml'])).code, 1)
    assert.ok(subjects().some((s) => s.startsWith('switchyard step-failed: a')))
    assert.ok(subjects().some((s) => s.startsWith('switchyard run-paused')))
  })

  test('a topic that cannot be reached is a warning, never a reason to stop the cutover', async () => {
    const dir = workspace(topic.replace(/cutover$/, 'no-such-topic'))
    const result = await run(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /notify arn:aws:sns:.*no-such-topic: SNS Publish failed: NotFound/)
  })
})
