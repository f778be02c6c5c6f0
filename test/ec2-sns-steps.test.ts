import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { journalEvents } from './helpers/cli.ts'

const aws = useAwsSandbox('ec2-sns')
let n = 0

beforeEach(() => {
  aws.sandbox.world.ec2.snapshotCompleteAfterMs = 0
  aws.sandbox.log.clear()
})

const switchyard = (dir: string, args: string[], env: Record<string, string> = {}) =>
  aws.switchyard(dir, args, env)
const workspace = (text: string) => aws.workspace(text)

const runIdOf = (dir: string) => journalEvents(dir).find((e) => e.type === 'run-started')?.runId as string
const outputsOf = (dir: string, step: string) =>
  journalEvents(dir).find((e) => e.type === 'step-applied' && e.step === step)?.outputs as
    | Record<string, unknown>
    | undefined

const oneStep = (name: string, instances: string[], step: string) => `version: 1
name: ${name}
targets:
  web: { instances: [${instances.join(', ')}] }
phases:
  - id: main
    steps:
${step}`

describe('ec2.wait-status', () => {
  const waitFor = (timeout: string) => `      - id: ready
        uses: ec2.wait-status
        timeout: ${timeout}
        with:
          instances: "\${{ targets.web.instances }}"
          poll: 200ms
`

  test('passes once every instance is running with both status checks ok', async () => {
    const ids = [1, 2, 3].map(() => aws.sandbox.world.ec2.addInstance().id)
    for (const id of ids)
      aws.sandbox.world.ec2.setStatus(id, { system: 'initializing', instance: 'initializing' })
    const dir = workspace(oneStep('ready', ids, waitFor('30s')))
    const running = switchyard(dir, ['run', 'runbook.yaml'])
    // The plan's read, then two polls while the instances initialize.
    await aws.sandbox.log.seen('ec2', 'DescribeInstanceStatus', 3)
    for (const id of ids) aws.sandbox.world.ec2.setStatus(id, { system: 'ok', instance: 'ok' })
    const run = await running
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const outputs = outputsOf(dir, 'ready')
    assert.deepEqual(outputs?.ready, ids)
    assert.ok((outputs?.polls as number) > 1, `it polled until ready: ${outputs?.polls}`)
    const calls = aws.sandbox.log.of('ec2', 'DescribeInstanceStatus')
    assert.ok(calls.length > 1)
    assert.deepEqual(aws.sandbox.log.mutating(), [], 'waiting only reads')
  })

  test('fails at the step timeout, the operator shown which instance is impaired and which check', async () => {
    const ids = [1, 2].map(() => aws.sandbox.world.ec2.addInstance().id)
    const sick = ids[1] as string
    aws.sandbox.world.ec2.setStatus(sick, { system: 'impaired' })
    // Long enough for a loaded machine to load the SDK and poll before it.
    const dir = workspace(oneStep('sick', ids, waitFor('6s')))
    const run = await switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, /step ready timed out after 6s/)
    assert.match(run.stdout, new RegExp(`1/2 ready; ${sick} impaired \\(system\\)`))
    assert.match(
      run.stdout,
      new RegExp(`timed out after \\S+ \\(last: 1/2 ready; ${sick} impaired \\(system\\)`),
    )
  })

  test('an instance that does not exist, or is terminated, fails at once naming it', async () => {
    const live = aws.sandbox.world.ec2.addInstance().id
    const gone = 'i-0123456789abcdef0'
    const dir = workspace(oneStep('missing', [live, gone], waitFor('5m')))
    const run = await switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`instance not found: ${gone}`))
    assert.doesNotMatch(run.stdout, /timed out/, 'it did not wait for the 5m timeout')
    assert.ok(aws.sandbox.log.of('ec2', 'DescribeInstanceStatus').length <= 2, 'it failed at its first read')

    const dead = aws.sandbox.world.ec2.addInstance({ state: 'terminated' }).id
    const again = await switchyard(workspace(oneStep('dead', [live, dead], waitFor('5m'))), [
      'run',
      'runbook.yaml',
    ])
    assert.equal(again.code, 1, again.stdout + again.stderr)
    assert.match(again.stdout, new RegExp(`instance terminated or terminating: ${dead}`))
  })
  test('a resume after kill -9 mid-wait waits again instead of taking the wait as done', async () => {
    const ids = [aws.sandbox.world.ec2.addInstance().id]
    const sick = ids[0] as string
    aws.sandbox.world.ec2.setStatus(sick, { instance: 'initializing' })
    const text = oneStep('resumed', ids, waitFor('30s'))
    const reference = workspace(text)
    const referenceRun = switchyard(reference, ['run', 'runbook.yaml'])
    await aws.sandbox.log.seen('ec2', 'DescribeInstanceStatus', 2)
    aws.sandbox.world.ec2.setStatus(sick, { instance: 'ok' })
    assert.equal((await referenceRun).code, 0)
    const planned = journalEvents(reference).find((e) => e.type === 'step-planned' && e.step === 'ready')

    aws.sandbox.world.ec2.setStatus(sick, { instance: 'initializing' })
    const dir = workspace(text)
    const killed = await switchyard(dir, ['run', 'runbook.yaml'], {
      SWITCHYARD_CRASH_AFTER_EVENTS: String(planned?.seq),
    })
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr)
    assert.equal((await switchyard(dir, ['unlock', 'resumed', '--force'])).code, 0)
    const readsBefore = aws.sandbox.log.of('ec2', 'DescribeInstanceStatus').length
    const resuming = switchyard(dir, ['resume'])
    // The re-plan's read, then a poll that still finds the instance initializing.
    await aws.sandbox.log.seen('ec2', 'DescribeInstanceStatus', readsBefore + 3)
    assert.ok(
      !journalEvents(dir).some((e) => e.type === 'step-applied' && e.step === 'ready'),
      'still waiting while the instance initializes',
    )
    aws.sandbox.world.ec2.setStatus(sick, { instance: 'ok' })
    const resumed = await resuming
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    const applied = journalEvents(dir).find((e) => e.type === 'step-applied' && e.step === 'ready')
    assert.equal(applied?.alreadyDone, undefined, 'applied by waiting, not skipped as done')
  })

  test('plans the wait, or nothing when every instance is already ready, with zero mutating calls', async () => {
    const ids = [1, 2].map(() => aws.sandbox.world.ec2.addInstance().id)
    const dir = workspace(oneStep('planned', ids, waitFor('30s')))
    const ready = await switchyard(dir, ['plan', 'runbook.yaml'])
    assert.equal(ready.code, 0, ready.stdout + ready.stderr)
    assert.match(ready.stdout, /= ready: no change/)
    aws.sandbox.world.ec2.setStatus(ids[0] as string, { system: 'initializing' })
    const waiting = await switchyard(dir, ['plan', 'runbook.yaml'])
    assert.match(
      waiting.stdout,
      /~ ready: wait until 2 instances run with system and instance status ok \(read-only\)/,
    )
    assert.doesNotMatch(waiting.stdout, /rollback: manual/)
    assert.deepEqual(aws.sandbox.log.mutating(), [])
  })

  test("its check serves as a gate: wait until passes once the instances' status checks pass", async () => {
    const ids = [aws.sandbox.world.ec2.addInstance().id]
    aws.sandbox.world.ec2.setStatus(ids[0] as string, { system: 'impaired' })
    const dir = workspace(
      oneStep(
        'gated',
        ids,
        `      - id: gate
        uses: wait
        timeout: 30s
        with: { until: probe, interval: 200ms }
      - id: probe
        uses: ec2.wait-status
        if: false
        with: { instances: "\${{ targets.web.instances }}" }
`,
      ),
    )
    const running = switchyard(dir, ['run', 'runbook.yaml'])
    await aws.sandbox.log.seen('ec2', 'DescribeInstanceStatus', 2)
    aws.sandbox.world.ec2.setStatus(ids[0] as string, { system: 'ok' })
    const run = await running
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`probe not passing yet .*0/1 ready; ${ids[0]} impaired \\(system\\)`))
    assert.ok((outputsOf(dir, 'gate')?.attempts as number) > 1)
  })
})

describe('ec2.snapshot', () => {
  const snapshotStep = `      - id: snap
        uses: ec2.snapshot
        with:
          instances: "\${{ targets.web.instances }}"
`
  /** Two instances: one with a boot and a data volume (the data volume tagged), one with a boot volume. */
  function twoInstances(): string[] {
    const a = aws.sandbox.world.ec2.addInstance({ volumes: [{}, { tags: { Name: 'data' } }] }).id
    const b = aws.sandbox.world.ec2.addInstance().id
    return [a, b]
  }
  const snapshotsOfRun = (runId: string) =>
    aws.sandbox.world.ec2.snapshots().filter((s) => s.tags['switchyard:run'] === runId)

  test('takes tagged crash-consistent snapshots of every volume, waits for completion and outputs their ids', async () => {
    const ids = twoInstances()
    aws.sandbox.world.ec2.snapshotCompleteAfterMs = 1500
    const dir = workspace(oneStep('backup', ids, snapshotStep))
    const plan = await switchyard(dir, ['plan', 'runbook.yaml'])
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.match(
      plan.stdout,
      new RegExp(`snapshot all volumes of ${ids[0]} \\(2 volumes, crash-consistent; kept on rollback\\)`),
    )
    assert.doesNotMatch(plan.stdout, /rollback: manual/)

    const started = Date.now()
    const run = await switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.ok(Date.now() - started >= 1500, 'it waited for the snapshots to complete')
    const runId = runIdOf(dir)
    const taken = snapshotsOfRun(runId)
    assert.equal(taken.length, 3, 'one snapshot per volume')
    for (const snapshot of taken) {
      assert.equal(snapshot.tags['switchyard:step'], 'snap')
      assert.equal(aws.sandbox.world.ec2.snapshotProgress(snapshot).state, 'completed')
    }
    assert.ok(
      taken.some((s) => s.tags.Name === 'data'),
      'the volume tags are copied',
    )
    const outputs = outputsOf(dir, 'snap') as { snapshots: Record<string, string[]> }
    const volumesOf = (id: string) => aws.sandbox.world.ec2.instance(id)?.volumes.map((v) => v.id)
    for (const id of ids) {
      const volumes = outputs.snapshots[id]?.map((s) => aws.sandbox.world.ec2.snapshot(s)?.volumeId)
      assert.deepEqual(volumes?.sort(), volumesOf(id)?.sort(), `${id}: a snapshot of each of its volumes`)
    }
    assert.equal(aws.sandbox.log.of('ec2', 'CreateSnapshots').length, 2, 'one CreateSnapshots per instance')
  })

  test('rollback keeps the snapshots and asks no one to undo them by hand', async () => {
    const ids = twoInstances()
    const dir = workspace(oneStep('keep', ids, snapshotStep))
    assert.equal((await switchyard(dir, ['run', 'runbook.yaml'])).code, 0)
    const runId = runIdOf(dir)
    const back = await switchyard(dir, ['rollback', '--to', 'start'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.equal(snapshotsOfRun(runId).length, 3, 'every snapshot is still there')
    assert.deepEqual(aws.sandbox.log.of('ec2', 'DeleteSnapshot'), [])
    const events = journalEvents(dir)
    assert.ok(events.some((e) => e.type === 'rollback-completed'))
    assert.ok(!events.some((e) => e.type === 'manual-undo-confirmed' || e.type === 'run-paused'))
  })

  /** Kills a run right after event `seq` of the kind a reference run's journal shows, then resumes it. */
  async function crashAndResume(ids: string[], event: (e: { type: string; step?: unknown }) => boolean) {
    const reference = workspace(oneStep('crashy', ids, snapshotStep))
    assert.equal((await switchyard(reference, ['run', 'runbook.yaml'])).code, 0)
    const seq = journalEvents(reference).find(event)?.seq
    assert.ok(seq, 'the reference run journaled the event')
    aws.sandbox.log.clear()

    const dir = workspace(oneStep('crashy', ids, snapshotStep))
    const killed = await switchyard(dir, ['run', 'runbook.yaml'], {
      SWITCHYARD_CRASH_AFTER_EVENTS: String(seq),
    })
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr)
    assert.equal((await switchyard(dir, ['unlock', 'crashy', '--force'])).code, 0)
    const resumed = await switchyard(dir, ['resume'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    return dir
  }

  test('resume after kill -9 right after the step is planned takes each snapshot once', async () => {
    const ids = twoInstances()
    const dir = await crashAndResume(ids, (e) => e.type === 'step-planned' && e.step === 'snap')
    assert.equal(snapshotsOfRun(runIdOf(dir)).length, 3, 'no duplicate snapshots')
    assert.equal(aws.sandbox.log.of('ec2', 'CreateSnapshots').length, 2)
  })

  test('resume after kill -9 between two instances reuses the set already taken instead of doubling it', async () => {
    const ids = twoInstances()
    const dir = await crashAndResume(ids, (e) => e.type === 'step-checkpoint' && e.step === 'snap')
    const runId = runIdOf(dir)
    assert.equal(snapshotsOfRun(runId).length, 3, 'no duplicate snapshots')
    assert.equal(
      aws.sandbox.log.of('ec2', 'CreateSnapshots').length,
      2,
      'the first instance was not snapshotted again',
    )
    const outputs = outputsOf(dir, 'snap') as { snapshots: Record<string, string[]> }
    assert.equal(outputs.snapshots[ids[0] as string]?.length, 2)
    assert.equal(outputs.snapshots[ids[1] as string]?.length, 1)
  })

  test('a snapshot that ends in error fails the step naming it', async () => {
    const ids = twoInstances()
    aws.sandbox.world.ec2.snapshotCompleteAfterMs = 60_000
    const dir = workspace(oneStep('broken', ids, snapshotStep))
    const running = switchyard(dir, ['run', 'runbook.yaml'])
    const second = () =>
      aws.sandbox.world.ec2
        .snapshots()
        .find((s) => s.volumeId === aws.sandbox.world.ec2.instance(ids[1] as string)?.volumes[0]?.id)?.id
    await aws.sandbox.log.until(() => second() !== undefined)
    const failed = second() as string
    aws.sandbox.world.ec2.failSnapshot(failed)
    const run = await running
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`snapshot failed: ${failed} \\(volume vol-[0-9a-f]+ of ${ids[1]}\\)`))
  })
})

describe('sns.notify', () => {
  test('publishes the message with the run and step as attributes, and rollback recalls nothing', async () => {
    const topic = aws.sandbox.world.sns.addTopic(`cutover-${++n}`)
    const dir = workspace(`version: 1
name: tell
phases:
  - id: main
    steps:
      - id: tell
        uses: sns.notify
        with:
          topic: ${topic}
          subject: Cutover started
          message: "web moves to AWS now"
`)
    const plan = await switchyard(dir, ['plan', 'runbook.yaml'])
    assert.match(plan.stdout, new RegExp(`publish to ${topic}: Cutover started`))
    const run = await switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const sent = aws.sandbox.world.sns.messages.filter((m) => m.topicArn === topic)
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.subject, 'Cutover started')
    assert.equal(sent[0]?.message, 'web moves to AWS now')
    assert.deepEqual(sent[0]?.attributes, {
      run: { DataType: 'String', StringValue: runIdOf(dir) },
      step: { DataType: 'String', StringValue: 'tell' },
    })
    assert.equal(outputsOf(dir, 'tell')?.messageId, sent[0]?.messageId)

    const back = await switchyard(dir, ['rollback', '--to', 'start'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.equal(aws.sandbox.world.sns.messages.filter((m) => m.topicArn === topic).length, 1)
    assert.ok(!journalEvents(dir).some((e) => e.type === 'manual-undo-confirmed' || e.type === 'run-paused'))
  })
})

describe('dry run', () => {
  test('run --dry-run of all three step types makes zero mutating AWS calls', async () => {
    const ids = [aws.sandbox.world.ec2.addInstance().id]
    const topic = aws.sandbox.world.sns.addTopic(`dry-${++n}`)
    const dir = workspace(
      oneStep(
        'dry',
        ids,
        `      - id: ready
        uses: ec2.wait-status
        with: { instances: "\${{ targets.web.instances }}" }
      - id: snap
        uses: ec2.snapshot
        needs: ready
        with: { instances: "\${{ targets.web.instances }}", exclude_boot_volume: false }
      - id: tell
        uses: sns.notify
        needs: snap
        with: { topic: ${topic}, message: snapshots taken }
`,
      ),
    )
    const dry = await switchyard(dir, ['run', 'runbook.yaml', '--dry-run'])
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.deepEqual(aws.sandbox.log.mutating(), [], 'only reads')
    assert.ok(
      aws.sandbox.log.of('ec2', 'DescribeInstances').length > 0,
      'the snapshot plan read the instances',
    )
    assert.equal(aws.sandbox.world.sns.messages.filter((m) => m.topicArn === topic).length, 0)
  })
})
