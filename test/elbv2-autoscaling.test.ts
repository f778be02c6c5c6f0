// elbv2.target-health and autoscaling.in-service through the built CLI, the real ELBv2 and Auto Scaling
// SDK clients talking awsQuery to the sandbox's endpoint.
import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import {
  AutoScalingClient,
  paginateDescribeAutoScalingGroups,
  SuspendProcessesCommand,
} from '@aws-sdk/client-auto-scaling'
import {
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { journalEvents } from './helpers/cli.ts'

const aws = useAwsSandbox('elbv2-autoscaling', { freshPerTest: true })
let n = 0

beforeEach(() => {
  n++
})

const world = () => aws.sandbox.world
const run = (dir: string, args: string[] = ['run', 'runbook.yaml']) => aws.switchyard(dir, args)
const outputsOf = (dir: string, step: string) =>
  journalEvents(dir).find((e) => e.type === 'step-applied' && e.step === step)?.outputs as
    | Record<string, unknown>
    | undefined
const ids = (count: number) =>
  Array.from({ length: count }, (_, i) => `i-0${String(n).padStart(2, '0')}${i}abcdef012345`)

/** A target group behind an internal NLB, with `count` instance targets, all healthy. */
function targetGroup(count: number, name = `web-${n}`) {
  world().elbv2.addLoadBalancer({
    name: `nlb-${name}`,
    scheme: 'internal',
    zones: [
      { zone: 'us-east-1a', subnetId: 'subnet-a' },
      { zone: 'us-east-1b', subnetId: 'subnet-b' },
    ],
  })
  const group = world().elbv2.addTargetGroup({ name, port: 443, loadBalancers: [`nlb-${name}`] })
  const targets = ids(count)
  for (const id of targets) world().elbv2.registerTarget(name, { id })
  return { group, targets }
}

const oneStep = (step: string) => `version: 1
name: platform-${n}
phases:
  - id: main
    steps:
${step}`

const targetHealth = (groups: string[], extra = '') => `      - id: targets
        uses: elbv2.target-health
        retry: { attempts: 1 }
        with:
          target_groups: [${groups.join(', ')}]
          consecutive_successes: 3
          interval: 50ms
          deadline: 3s
${extra}`

describe('elbv2.target-health', () => {
  test('passes once every target is healthy three reads in a row, by name or by ARN, only reading', async () => {
    const { group, targets } = targetGroup(2)
    const other = targetGroup(1, `api-${n}`)
    world().elbv2.setTargetHealth(group.name, targets[1] as string, 'initial', 'Elb.InitialHealthChecking')
    const dir = aws.workspace(oneStep(targetHealth([group.name, other.group.arn], '')))
    const running = run(dir)
    await aws.sandbox.log.seen('elbv2', 'DescribeTargetHealth', 4)
    world().elbv2.setTargetHealth(group.name, targets[1] as string, 'healthy')
    const result = await running
    assert.equal(result.code, 0, result.stdout + result.stderr)
    const outputs = outputsOf(dir, 'targets') as { reads: number; target_groups: Record<string, unknown> }
    assert.ok(outputs.reads >= 5, `initial reads, then three healthy ones: ${outputs.reads}`)
    assert.deepEqual(outputs.target_groups[group.name], { arn: group.arn, targets: 2, healthy: 2 })
    assert.deepEqual(outputs.target_groups[`api-${n}`], { arn: other.group.arn, targets: 1, healthy: 1 })
    assert.equal(aws.sandbox.log.of('elbv2', 'DescribeTargetGroups').length, 1, 'the name is looked up once')
    assert.deepEqual(aws.sandbox.log.mutating(), [])
  })

  test('an unhealthy target fails at the deadline, listed with its reason code; a group with no targets fails closed', async () => {
    const { group, targets } = targetGroup(2)
    world().elbv2.setTargetHealth(group.name, targets[0] as string, 'unhealthy', 'Target.FailedHealthChecks')
    const empty = world().elbv2.addTargetGroup({ name: `empty-${n}`, port: 443 })
    const dir = aws.workspace(oneStep(targetHealth([group.name, empty.name])))
    const result = await run(dir)
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout, /targets not healthy 3 reads in a row by the 3s deadline/)
    assert.match(
      result.stdout,
      new RegExp(
        `${group.name}: 1/2 healthy; ${targets[0]}:443 unhealthy \\(Target\\.FailedHealthChecks: Health checks failed\\)`,
      ),
    )
    assert.match(result.stdout, new RegExp(`empty-${n}: no registered targets \\(fails closed\\)`))
  })

  test('a target group ELB does not know fails at once, naming it; a throttled read is retried', async () => {
    const missing = aws.workspace(oneStep(targetHealth([`nowhere-${n}`])))
    const refused = await run(missing)
    assert.equal(refused.code, 1, refused.stdout + refused.stderr)
    assert.match(refused.stdout, new RegExp(`ELB has no target group nowhere-${n} in this region`))
    assert.equal(aws.sandbox.log.of('elbv2', 'DescribeTargetHealth').length, 0, 'nothing to wait for')

    const { group } = targetGroup(1)
    aws.sandbox.faults.add({
      service: 'elbv2',
      operation: 'DescribeTargetHealth',
      kind: 'throttle',
      times: 2,
    })
    const throttled = await run(aws.workspace(oneStep(targetHealth([group.name]))))
    assert.equal(throttled.code, 0, throttled.stdout + throttled.stderr)
    const answered = aws.sandbox.log.of('elbv2', 'DescribeTargetHealth')
    assert.deepEqual(
      answered.slice(0, 3).map((c) => [c.error ?? 'ok', c.attempt]),
      [
        ['Throttling', 1],
        ['Throttling', 2],
        ['ok', 3],
      ],
    )
  })

  test('ELB answering 500 on every attempt fails the step with the service, operation and error code', async () => {
    const { group } = targetGroup(1)
    aws.sandbox.faults.add({
      service: 'elbv2',
      operation: 'DescribeTargetHealth',
      kind: 'server-error',
      times: 6,
    })
    const result = await run(aws.workspace(oneStep(targetHealth([group.name]))))
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout, /ELBv2 DescribeTargetHealth failed after 6 attempts: InternalFailure/)
  })

  test('as a route53.shift gate it looks the name up once and reads health each poll; a target turning unhealthy rolls the shift back', async () => {
    const { group, targets } = targetGroup(2)
    const zone = world().route53.addZone({ name: `zone${n}.example.com` }).id
    const record = `www.zone${n}.example.com`
    for (const [id, weight] of [
      ['onprem', 100],
      ['aws', 0],
    ] as const)
      world().route53.putRecord(zone, {
        Name: record,
        Type: 'CNAME',
        SetIdentifier: id,
        Weight: weight,
        TTL: 1,
        ResourceRecords: [{ Value: `${id}.example.com` }],
      })
    const dir = aws.workspace(`version: 1
name: gated-${n}
phases:
  - id: traffic
    steps:
      - id: shift
        uses: route53.shift
        retry: { attempts: 1 }
        with:
          zone: ${zone}
          record: { name: ${record}, type: CNAME }
          from: onprem
          to: aws
          stages: [50, 100]
          bake: 10m
          poll: 50ms
          gates: [{ step: targets }]
  - id: later
    steps:
${targetHealth([group.name])}`)
    const running = run(dir)
    await aws.sandbox.log.seen('route53', 'ChangeResourceRecordSets', 1)
    const readsAtStage = aws.sandbox.log.of('elbv2', 'DescribeTargetHealth').length
    await aws.sandbox.log.seen('elbv2', 'DescribeTargetHealth', readsAtStage + 3)
    world().elbv2.setTargetHealth(group.name, targets[1] as string, 'unhealthy', 'Target.Timeout')
    const result = await running
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(
      result.stdout,
      new RegExp(
        `step targets failed: targets not healthy: ${group.name}: 1/2 healthy; ${targets[1]}:443 unhealthy \\(Target\\.Timeout: Request timed out\\)`,
      ),
    )
    assert.deepEqual(world().route53.weights(zone, record, 'CNAME'), { onprem: 100, aws: 0 })
    // The name was looked up once for the whole bake; each poll is one DescribeTargetHealth.
    assert.equal(aws.sandbox.log.of('elbv2', 'DescribeTargetGroups').length, 1)
  })

  test('a dry run reports what would fail today, with the reason code, and sends only reads', async () => {
    const { group, targets } = targetGroup(2)
    world().elbv2.setTargetHealth(
      group.name,
      targets[0] as string,
      'draining',
      'Target.DeregistrationInProgress',
    )
    const result = await run(aws.workspace(oneStep(targetHealth([group.name]))), [
      'run',
      'runbook.yaml',
      '--dry-run',
    ])
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(
      result.stdout,
      /would fail today: targets not healthy: .*draining \(Target\.DeregistrationInProgress/,
    )
    assert.deepEqual(aws.sandbox.log.mutating(), [])
  })
})

const inService = (groups: string[], extra = '') => `      - id: asg
        uses: autoscaling.in-service
        retry: { attempts: 1 }
        timeout: 20s
        with:
          groups: [${groups.join(', ')}]
          poll: 50ms
${extra}`

function scalingGroup(desired: number, name = `asg-${n}`) {
  const instances = ids(desired).map((id, i) => ({
    id,
    availabilityZone: i % 2 ? 'us-east-1b' : 'us-east-1a',
  }))
  return world().autoscaling.addGroup({
    name,
    desired,
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    instances,
  })
}

describe('autoscaling.in-service', () => {
  test('waits out a scaling activity and an unhealthy instance, then suspends; rollback resumes only what it suspended', async () => {
    const group = scalingGroup(2)
    const sick = group.instances[1]?.id as string
    world().autoscaling.setInstance(group.name, sick, { healthStatus: 'Unhealthy' })
    const activity = world().autoscaling.startActivity(group.name, {
      description: `Launching a new EC2 instance: i-0new${n}`,
      durationMs: 3_600_000,
    })
    // Suspended by someone before the run: rollback must leave it suspended.
    world().autoscaling.suspend(group.name, ['AZRebalance'])
    const dir = aws.workspace(
      oneStep(inService([group.name], '          suspend: [AZRebalance, ReplaceUnhealthy]\n')),
    )
    const running = run(dir)
    await aws.sandbox.log.seen('autoscaling', 'DescribeScalingActivities', 3)
    assert.deepEqual(
      aws.sandbox.log.of('autoscaling', 'SuspendProcesses'),
      [],
      'nothing suspended while waiting',
    )
    activity.durationMs = 0
    world().autoscaling.setInstance(group.name, sick, { healthStatus: 'Healthy' })
    const result = await running
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(Object.keys(group.suspended).sort(), ['AZRebalance', 'ReplaceUnhealthy'])
    assert.deepEqual(outputsOf(dir, 'asg')?.suspended, { [group.name]: ['ReplaceUnhealthy'] })
    const undo = journalEvents(dir).filter((e) => e.type === 'undo-recorded')
    assert.deepEqual(
      undo.map((e) => e.undo),
      [{ group: group.name, processes: ['ReplaceUnhealthy'], before: ['AZRebalance'] }],
    )

    const runId = journalEvents(dir).find((e) => e.type === 'run-started')?.runId as string
    const preview = await aws.switchyard(dir, ['rollback', runId, '--to', 'start', '--dry-run'])
    assert.equal(preview.code, 0, preview.stdout + preview.stderr)
    assert.match(preview.stdout, new RegExp(`resume ReplaceUnhealthy on Auto Scaling group ${group.name}`))
    assert.deepEqual(aws.sandbox.log.of('autoscaling', 'ResumeProcesses'), [], 'the preview resumed nothing')
    const back = await aws.switchyard(dir, ['rollback', runId, '--to', 'start', '--yes'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.deepEqual(
      Object.keys(group.suspended),
      ['AZRebalance'],
      'what was suspended before stays suspended',
    )
  })

  test('with activities: fail it fails at once naming what is not in service; a group that does not exist fails at once', async () => {
    const group = scalingGroup(2)
    world().autoscaling.setInstance(group.name, group.instances[0]?.id as string, {
      lifecycleState: 'Pending',
    })
    world().autoscaling.startActivity(group.name, {
      description: 'Terminating EC2 instance: i-0old',
      durationMs: 3_600_000,
    })
    const now = await run(aws.workspace(oneStep(inService([group.name], '          activities: fail\n'))))
    assert.equal(now.code, 1, now.stdout + now.stderr)
    assert.match(
      now.stdout,
      new RegExp(
        `not in service: ${group.name}: 1/2 in service; ${group.instances[0]?.id} Pending; activity in progress: Terminating EC2 instance: i-0old \\(InProgress, \\d+%\\)`,
      ),
    )
    assert.doesNotMatch(now.stdout, /timed out/)

    const missing = await run(aws.workspace(oneStep(inService([`nowhere-${n}`]))))
    assert.equal(missing.code, 1, missing.stdout + missing.stderr)
    assert.match(missing.stdout, new RegExp(`no Auto Scaling group named nowhere-${n} in this region`))
  })

  test('kill -9 between the journaled undo and SuspendProcesses: resume suspends once, rollback resumes', async () => {
    const reference = scalingGroup(1, `ref-${n}`)
    const text = (group: string) => oneStep(inService([group], '          suspend: [ReplaceUnhealthy]\n'))
    const referenceDir = aws.workspace(text(reference.name))
    assert.equal((await run(referenceDir)).code, 0)
    const undo = journalEvents(referenceDir).find((e) => e.type === 'undo-recorded')
    assert.ok(undo)

    const group = scalingGroup(1)
    const dir = aws.workspace(text(group.name).replace(`platform-${n}`, `crash-${n}`))
    aws.sandbox.log.clear()
    const killed = await aws.switchyard(dir, ['run', 'runbook.yaml'], {
      SWITCHYARD_CRASH_AFTER_EVENTS: String(undo.seq),
    })
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr)
    assert.deepEqual(aws.sandbox.log.of('autoscaling', 'SuspendProcesses'), [], 'killed before it was sent')
    assert.equal((await aws.switchyard(dir, ['unlock', `crash-${n}`, '--force'])).code, 0)
    const resumed = await aws.switchyard(dir, ['resume'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.equal(aws.sandbox.log.of('autoscaling', 'SuspendProcesses').length, 1)
    assert.deepEqual(Object.keys(group.suspended), ['ReplaceUnhealthy'])

    const runId = journalEvents(dir).find((e) => e.type === 'run-started')?.runId as string
    const back = await aws.switchyard(dir, ['rollback', runId, '--to', 'start', '--yes'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.deepEqual(group.suspended, {})
  })

  test('a throttled SuspendProcesses is retried and suspends once; a dry run plans the suspension and sends only reads', async () => {
    const group = scalingGroup(1)
    const text = oneStep(inService([group.name], '          suspend: [AZRebalance]\n'))
    const dry = await run(aws.workspace(text), ['run', 'runbook.yaml', '--dry-run'])
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(dry.stdout, new RegExp(`suspend AZRebalance on ${group.name} \\(rollback resumes them\\)`))
    assert.match(dry.stdout, /check passes today/)
    assert.deepEqual(aws.sandbox.log.mutating(), [])
    assert.deepEqual(group.suspended, {})

    aws.sandbox.faults.add({
      service: 'autoscaling',
      operation: 'SuspendProcesses',
      kind: 'throttle',
      times: 2,
    })
    const result = await run(aws.workspace(text))
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(
      aws.sandbox.log.of('autoscaling', 'SuspendProcesses').map((c) => c.error ?? 'ok'),
      ['Throttling', 'Throttling', 'ok'],
    )
    assert.deepEqual(Object.keys(group.suspended), ['AZRebalance'])
  })
})

describe('the sandbox answers the ELBv2 and Auto Scaling clients as AWS does', () => {
  const config = () => ({
    endpoint: aws.sandbox.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  })

  test('pages with Marker and NextToken, and answers errors with the modelled names', async () => {
    const elbv2 = new ElasticLoadBalancingV2Client(config())
    const autoscaling = new AutoScalingClient(config())
    try {
      const names = [1, 2, 3].map(
        (i) => world().elbv2.addTargetGroup({ name: `paged-${n}-${i}`, port: 80 }).name,
      )
      const seen: string[] = []
      for await (const page of paginateDescribeTargetGroups({ client: elbv2 }, { Names: names, PageSize: 1 }))
        seen.push(...(page.TargetGroups ?? []).map((g) => g.TargetGroupName as string))
      assert.deepEqual(seen, names)
      assert.equal(aws.sandbox.log.of('elbv2', 'DescribeTargetGroups').length, 3)
      await assert.rejects(
        elbv2.send(new DescribeTargetGroupsCommand({ Names: [`gone-${n}`] })),
        (error: Error & { $metadata: { httpStatusCode: number } }) =>
          error.name === 'TargetGroupNotFoundException' && error.$metadata.httpStatusCode === 400,
      )

      for (const i of [1, 2]) scalingGroup(1, `paged-asg-${n}-${i}`)
      const groups: string[] = []
      const wanted = [`paged-asg-${n}-1`, `paged-asg-${n}-2`]
      for await (const page of paginateDescribeAutoScalingGroups(
        { client: autoscaling, pageSize: 1 },
        { AutoScalingGroupNames: wanted },
      ))
        groups.push(...(page.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName as string))
      assert.deepEqual(groups, wanted)
      await assert.rejects(
        autoscaling.send(
          new SuspendProcessesCommand({
            AutoScalingGroupName: `gone-${n}`,
            ScalingProcesses: ['AZRebalance'],
          }),
        ),
        { name: 'ValidationError', message: `AutoScalingGroup name not found - gone-${n}` },
      )
      aws.sandbox.faults.add({ service: 'autoscaling', kind: 'server-error', code: 'ResourceContention' })
      await assert.rejects(
        autoscaling.send(
          new SuspendProcessesCommand({ AutoScalingGroupName: wanted[0], ScalingProcesses: ['AZRebalance'] }),
        ),
        (error: Error & { $metadata: { httpStatusCode: number } }) =>
          error.name === 'ResourceContentionFault' && error.$metadata.httpStatusCode === 500,
      )
    } finally {
      elbv2.destroy()
      autoscaling.destroy()
    }
  })
})
