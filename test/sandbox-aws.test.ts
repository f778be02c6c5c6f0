// The sandbox's AWS endpoint, driven by the real SDK v3 clients over HTTP: no client is mocked.
import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { CloudWatchClient, DescribeAlarmsCommand, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch'
import {
  CreateSnapshotsCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribeSnapshotsCommand,
  EC2Client,
  paginateDescribeInstances,
  waitUntilSnapshotCompleted,
} from '@aws-sdk/client-ec2'
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckStatusCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
  waitUntilResourceRecordSetsChanged,
} from '@aws-sdk/client-route-53'
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns'
import {
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  paginateListCommandInvocations,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import {
  type AwsSandbox,
  type AwsSandboxOptions,
  sandboxEnv,
  startAwsSandbox,
} from '../src/sandbox/aws/index.ts'

interface ClientOptions {
  maxAttempts?: number
  requestHandler?: { requestTimeout?: number; connectionTimeout?: number; throwOnRequestTimeout?: boolean }
}

/** A fresh sandbox and one of each real client pointed at it, all closed when the test ends. */
async function setup(t: TestContext, options: AwsSandboxOptions = {}, clientOptions: ClientOptions = {}) {
  const sandbox = await startAwsSandbox(options)
  const config = {
    endpoint: sandbox.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    ...clientOptions,
  }
  const clients = {
    route53: new Route53Client(config),
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    cloudwatch: new CloudWatchClient(config),
    sns: new SNSClient(config),
    sts: new STSClient(config),
  }
  t.after(async () => {
    for (const client of Object.values(clients)) client.destroy()
    await sandbox.close()
  })
  return { sandbox, world: sandbox.world, ...clients }
}

/** The error a promise rejects with, for asserting on its name, message and status. */
async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } }
  }
  assert.fail('expected the call to fail')
}

type WeightedRecord = ResourceRecordSet & { Name: string; Type: 'A' }

const weighted = (
  id: string,
  weight: number,
  value: string,
  extra: { HealthCheckId?: string } = {},
): WeightedRecord => ({
  Name: 'gift.example.com.',
  Type: 'A',
  SetIdentifier: id,
  Weight: weight,
  TTL: 60,
  ResourceRecords: [{ Value: value }],
  ...extra,
})

const upsert = (record: ResourceRecordSet): Change => ({ Action: 'UPSERT', ResourceRecordSet: record })

function seedWeighted(sandbox: AwsSandbox) {
  const zone = sandbox.world.route53.addZone({ name: 'example.com' })
  sandbox.world.route53.addHealthCheck('hc-aws')
  sandbox.world.route53.putRecord(zone.id, weighted('onprem', 100, '192.0.2.10'))
  sandbox.world.route53.putRecord(zone.id, weighted('aws', 0, '10.0.1.10', { HealthCheckId: 'hc-aws' }))
  return zone
}

describe('Route 53', () => {
  test('weighted records come back from ListResourceRecordSets with every field', async (t) => {
    const { sandbox, route53 } = await setup(t)
    const zone = seedWeighted(sandbox)
    const page = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }))
    assert.deepEqual(
      page.ResourceRecordSets?.map((r) => `${r.Type} ${r.SetIdentifier ?? '-'}`),
      ['NS -', 'SOA -', 'A aws', 'A onprem'],
      'the apex NS and SOA of a new zone list first, then weighted records by identifier',
    )
    assert.deepEqual(
      page.ResourceRecordSets?.find((r) => r.SetIdentifier === 'aws'),
      weighted('aws', 0, '10.0.1.10', { HealthCheckId: 'hc-aws' }),
    )
    assert.equal(page.IsTruncated, false)
    assert.equal(page.MaxItems, 300)
  })

  test('values with quotes and ampersands round-trip, and wildcard names come back as \\052', async (t) => {
    const { sandbox, route53 } = await setup(t)
    const zone = sandbox.world.route53.addZone({ name: 'example.com' })
    const txt = '"v=spf1 include:_spf.example.com ~all" "a&b<c>"'
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'example.com',
                Type: 'TXT',
                TTL: 300,
                ResourceRecords: [{ Value: txt }],
              },
            },
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: '*.example.com',
                Type: 'A',
                TTL: 300,
                ResourceRecords: [{ Value: '10.0.0.1' }],
              },
            },
          ],
        },
      }),
    )
    const listed = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }))
    const byType = Object.fromEntries((listed.ResourceRecordSets ?? []).map((r) => [r.Type, r]))
    assert.equal(byType.TXT?.ResourceRecords?.[0]?.Value, txt)
    assert.equal(byType.A?.Name, '\\052.example.com.')
  })

  test('ListHostedZonesByName lists zones from a DNS name in reversed-label order', async (t) => {
    const { sandbox, route53 } = await setup(t)
    sandbox.world.route53.addZone({ name: 'example.com' })
    const priv = sandbox.world.route53.addZone({ name: 'corp.example', private: true })
    const net = sandbox.world.route53.addZone({ name: 'another.net' })
    // com.example < example.corp < net.another: a lookup is "from this name on", not an exact match.
    const zones = await route53.send(new ListHostedZonesByNameCommand({ DNSName: 'corp.example' }))
    assert.deepEqual(
      zones.HostedZones?.map((z) => [z.Id, z.Name, z.Config?.PrivateZone]),
      [
        [`/hostedzone/${priv.id}`, 'corp.example.', true],
        [`/hostedzone/${net.id}`, 'another.net.', false],
      ],
    )
    assert.equal(zones.IsTruncated, false)
  })

  test('a stage change is one ChangeResourceRecordSets that moves both weights', async (t) => {
    const { sandbox, route53 } = await setup(t)
    const zone = seedWeighted(sandbox)
    const answer = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: {
          Comment: 'stage 1',
          Changes: [
            upsert(weighted('onprem', 90, '192.0.2.10')),
            upsert(weighted('aws', 10, '10.0.1.10', { HealthCheckId: 'hc-aws' })),
          ],
        },
      }),
    )
    assert.equal(answer.ChangeInfo?.Status, 'PENDING')
    assert.match(answer.ChangeInfo?.Id ?? '', /^\/change\/C[A-Z0-9]+$/)
    assert.deepEqual(sandbox.world.route53.weights(zone.id, 'gift.example.com', 'A'), { onprem: 90, aws: 10 })
    const writes = sandbox.log.mutating()
    assert.deepEqual(
      writes.map((c) => `${c.service} ${c.operation}`),
      ['route53 ChangeResourceRecordSets'],
    )
    assert.equal(sandbox.world.route53.history.length, 1)
    assert.equal(sandbox.world.route53.history[0]?.comment, 'stage 1')
    assert.deepEqual(
      sandbox.world.route53.history[0]?.changes.map(
        (c) => `${c.action} ${c.record.SetIdentifier} ${c.record.Weight}`,
      ),
      ['UPSERT onprem 90', 'UPSERT aws 10'],
    )
  })

  test('a batch with one bad change applies nothing and names every failure', async (t) => {
    const { sandbox, route53 } = await setup(t)
    const zone = seedWeighted(sandbox)
    const before = sandbox.world.route53.records(zone.id)
    const error = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.id,
          ChangeBatch: {
            Changes: [
              upsert(weighted('onprem', 50, '192.0.2.10')),
              {
                Action: 'DELETE',
                ResourceRecordSet: weighted('aws', 7, '10.0.1.10', { HealthCheckId: 'hc-aws' }),
              },
              { Action: 'DELETE', ResourceRecordSet: weighted('nowhere', 1, '10.9.9.9') },
              { Action: 'CREATE', ResourceRecordSet: weighted('onprem', 1, '192.0.2.10') },
            ],
          },
        }),
      ),
    )
    assert.equal(error.name, 'InvalidChangeBatch')
    assert.equal(error.$metadata?.httpStatusCode, 400)
    assert.match(
      error.message,
      /set-identifier='aws'\] but the values provided do not match the current values/,
    )
    assert.match(error.message, /set-identifier='nowhere'\] but it was not found/)
    assert.match(error.message, /set-identifier='onprem'\] but it already exists/)
    assert.deepEqual(
      sandbox.world.route53.records(zone.id),
      before,
      'the valid UPSERT was not applied either',
    )
    assert.equal(sandbox.world.route53.history.length, 0)
  })

  test('DELETE then CREATE of one record in a batch replaces it; the same DELETE twice is refused', async (t) => {
    const { sandbox, route53 } = await setup(t)
    const zone = seedWeighted(sandbox)
    const current = weighted('onprem', 100, '192.0.2.10')
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: {
          Changes: [
            { Action: 'DELETE', ResourceRecordSet: current },
            { Action: 'CREATE', ResourceRecordSet: weighted('onprem', 100, '192.0.2.11') },
          ],
        },
      }),
    )
    assert.deepEqual(
      sandbox.world.route53.record(zone.id, 'gift.example.com', 'A', 'onprem')?.ResourceRecords,
      [{ Value: '192.0.2.11' }],
    )
    const twice = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.id,
          ChangeBatch: {
            Changes: [
              {
                Action: 'DELETE',
                ResourceRecordSet: weighted('aws', 0, '10.0.1.10', { HealthCheckId: 'hc-aws' }),
              },
              {
                Action: 'DELETE',
                ResourceRecordSet: weighted('aws', 0, '10.0.1.10', { HealthCheckId: 'hc-aws' }),
              },
            ],
          },
        }),
      ),
    )
    assert.equal(twice.name, 'InvalidChangeBatch')
    assert.match(twice.message, /invalid set of changes for a resource record set 'A gift\.example\.com\.'/)
  })

  test('weights outside 0-255, weighted records without an identifier and a simple record beside weighted ones are refused', async (t) => {
    const { sandbox, route53 } = await setup(t, {}, { maxAttempts: 1 })
    const zone = seedWeighted(sandbox)
    const send = (changes: Change[]) =>
      failure(
        route53.send(
          new ChangeResourceRecordSetsCommand({ HostedZoneId: zone.id, ChangeBatch: { Changes: changes } }),
        ),
      )

    const heavy = await send([upsert(weighted('aws', 256, '10.0.1.10'))])
    assert.equal(heavy.name, 'InvalidInput')
    assert.match(heavy.message, /Member must have value less than or equal to 255/)

    const anonymous = await send([upsert({ ...weighted('x', 5, '10.0.0.5'), SetIdentifier: undefined })])
    assert.equal(anonymous.name, 'InvalidChangeBatch')
    assert.match(anonymous.message, /Missing field 'SetIdentifier'/)

    const simple = await send([
      upsert({ Name: 'gift.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.9' }] }),
    ])
    assert.equal(simple.name, 'InvalidChangeBatch')
    assert.match(simple.message, /cannot mix weighted records/)

    const unknownCheck = await send([upsert(weighted('aws', 5, '10.0.1.10', { HealthCheckId: 'hc-typo' }))])
    assert.equal(unknownCheck.name, 'NoSuchHealthCheck')
    assert.equal(unknownCheck.$metadata?.httpStatusCode, 404)

    const noZone = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: 'ZNOSUCHZONE',
          ChangeBatch: { Changes: [upsert(weighted('a', 1, '10.0.0.1'))] },
        }),
      ),
    )
    assert.equal(noZone.name, 'NoSuchHostedZone')
    assert.equal(noZone.$metadata?.httpStatusCode, 404)
    assert.equal(sandbox.world.route53.history.length, 0)
  })

  test('ListResourceRecordSets pages with MaxItems and the Next* start fields, from any start record', async (t) => {
    const { sandbox, route53 } = await setup(t)
    const zone = sandbox.world.route53.addZone({ name: 'example.com' })
    for (const [i, id] of ['e', 'b', 'd', 'a', 'c'].entries())
      sandbox.world.route53.putRecord(zone.id, weighted(id, i, `10.0.0.${i}`))
    sandbox.world.route53.putRecord(zone.id, {
      Name: 'www.example.com',
      Type: 'CNAME',
      TTL: 300,
      ResourceRecords: [{ Value: 'gift.example.com' }],
    })

    const seen: string[] = []
    const pages: boolean[] = []
    let start: { StartRecordName?: string; StartRecordType?: 'A'; StartRecordIdentifier?: string } = {}
    for (;;) {
      const page = await route53.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zone.id, MaxItems: 3, ...start }),
      )
      assert.ok((page.ResourceRecordSets?.length ?? 0) <= 3)
      seen.push(
        ...(page.ResourceRecordSets ?? []).map((r) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? ''}`.trim()),
      )
      pages.push(page.IsTruncated ?? false)
      if (!page.IsTruncated) break
      start = {
        StartRecordName: page.NextRecordName,
        StartRecordType: page.NextRecordType as 'A',
        StartRecordIdentifier: page.NextRecordIdentifier,
      }
    }
    assert.deepEqual(seen, [
      'example.com. NS',
      'example.com. SOA',
      'gift.example.com. A a',
      'gift.example.com. A b',
      'gift.example.com. A c',
      'gift.example.com. A d',
      'gift.example.com. A e',
      'www.example.com. CNAME',
    ])
    assert.deepEqual(pages, [true, true, false])

    const fromMiddle = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        StartRecordName: 'gift.example.com',
        StartRecordType: 'A',
        StartRecordIdentifier: 'd',
        MaxItems: 1,
      }),
    )
    assert.deepEqual(
      fromMiddle.ResourceRecordSets?.map((r) => r.SetIdentifier),
      ['d'],
    )
    assert.equal(fromMiddle.IsTruncated, true)
    assert.equal(fromMiddle.NextRecordName, 'gift.example.com.')
    assert.equal(fromMiddle.NextRecordType, 'A')
    assert.equal(fromMiddle.NextRecordIdentifier, 'e')

    const typeOnly = await failure(
      route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id, StartRecordType: 'A' })),
    )
    assert.equal(typeOnly.name, 'InvalidInput')
  })

  test('a change is PENDING until insyncAfterMs has passed, then INSYNC; the SDK waiter sees it', async (t) => {
    // The sandbox's clock, moved by hand: however slow the machine, the change is PENDING until it moves.
    let now = Date.now()
    const { sandbox, route53 } = await setup(t, { now: () => now })
    const zone = seedWeighted(sandbox)
    sandbox.world.route53.insyncAfterMs = 200
    const { ChangeInfo } = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: { Changes: [upsert(weighted('aws', 10, '10.0.1.10'))] },
      }),
    )
    const id = ChangeInfo?.Id ?? ''
    assert.equal((await route53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status, 'PENDING')
    now += 199
    assert.equal((await route53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status, 'PENDING')
    now += 1
    const waited = await waitUntilResourceRecordSetsChanged(
      { client: route53, maxWaitTime: 5, minDelay: 0.05, maxDelay: 0.1 },
      { Id: id },
    )
    assert.equal(waited.state, 'SUCCESS')
    assert.equal((await route53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status, 'INSYNC')
    const missing = await failure(route53.send(new GetChangeCommand({ Id: '/change/CNOSUCHCHANGE' })))
    assert.equal(missing.name, 'NoSuchChange')
  })

  test('GetHealthCheckStatus reports what the test sets', async (t) => {
    const { sandbox, route53 } = await setup(t)
    sandbox.world.route53.addHealthCheck('hc-1')
    const statuses = async () =>
      (
        await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: 'hc-1' }))
      ).HealthCheckObservations?.map((o) => o.StatusReport?.Status?.split(':')[0])
    const healthy = await statuses()
    assert.ok(healthy && healthy.length > 1 && healthy.every((s) => s === 'Success'))
    sandbox.world.route53.setHealth('hc-1', false)
    assert.ok((await statuses())?.every((s) => s === 'Failure'))
    const unknown = await failure(route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: 'hc-none' })))
    assert.equal(unknown.name, 'NoSuchHealthCheck')
  })

  test('Throttling and PriorRequestNotComplete are retried by the SDK and the change lands once', async (t) => {
    const { sandbox, route53 } = await setup(t)
    const zone = seedWeighted(sandbox)
    sandbox.faults.add({ service: 'route53', operation: 'ChangeResourceRecordSets', kind: 'throttle' })
    sandbox.faults.add({
      service: 'route53',
      operation: 'ChangeResourceRecordSets',
      kind: 'throttle',
      code: 'PriorRequestNotComplete',
    })
    const answer = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: { Changes: [upsert(weighted('aws', 20, '10.0.1.10'))] },
      }),
    )
    assert.equal(answer.$metadata.attempts, 3)
    assert.deepEqual(
      sandbox.log
        .of('route53', 'ChangeResourceRecordSets')
        .map((c) => [c.attempt, c.status, c.error ?? 'ok']),
      [
        [1, 400, 'Throttling'],
        [2, 400, 'PriorRequestNotComplete'],
        [3, 200, 'ok'],
      ],
    )
    assert.equal(sandbox.world.route53.history.length, 1)
    assert.equal(sandbox.world.route53.weights(zone.id, 'gift.example.com', 'A').aws, 20)
  })
})

describe('EC2', () => {
  test('DescribeInstances filters by tag, state and id', async (t) => {
    const { world, ec2 } = await setup(t)
    const web1 = world.ec2.addInstance({
      tags: { Role: 'web', Env: 'prod', Name: 'web1' },
      privateIp: '10.0.1.5',
    })
    world.ec2.addInstance({ tags: { Role: 'web', Env: 'prod' }, state: 'stopped' })
    world.ec2.addInstance({ tags: { Role: 'sql', Env: 'prod' } })
    const ids = async (input: DescribeInstancesCommandInput) =>
      (await ec2.send(new DescribeInstancesCommand(input))).Reservations?.flatMap((r) => r.Instances ?? []) ??
      []

    const running = await ids({
      Filters: [
        { Name: 'tag:Role', Values: ['web'] },
        { Name: 'tag:Env', Values: ['prod'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    })
    assert.deepEqual(
      running.map((i) => i.InstanceId),
      [web1.id],
    )
    const [instance] = running
    assert.equal(instance?.State?.Name, 'running')
    assert.equal(instance?.State?.Code, 16)
    assert.equal(instance?.PrivateIpAddress, '10.0.1.5')
    assert.equal(instance?.Platform, 'windows')
    assert.deepEqual(
      instance?.Tags?.find((tag) => tag.Key === 'Name'),
      { Key: 'Name', Value: 'web1' },
    )
    assert.equal(instance?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId, web1.volumes[0]?.id)
    assert.ok(instance?.LaunchTime instanceof Date)

    assert.equal(
      (await ids({ Filters: [{ Name: 'tag:Role', Values: ['w*'] }] })).length,
      2,
      'filter values take wildcards',
    )
    assert.deepEqual(
      (await ids({ InstanceIds: [web1.id] })).map((i) => i.InstanceId),
      [web1.id],
    )

    const missing = await failure(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    )
    assert.equal(missing.name, 'InvalidInstanceID.NotFound')
    const badFilter = await failure(
      ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
    )
    assert.equal(badFilter.name, 'InvalidParameterValue')
  })

  test('DescribeInstances pages with MaxResults and NextToken, and refuses MaxResults with InstanceIds', async (t) => {
    const { world, ec2 } = await setup(t)
    const made = Array.from({ length: 12 }, () => world.ec2.addInstance({ tags: { Role: 'web' } }).id)
    const pages: number[] = []
    const found: string[] = []
    for await (const page of paginateDescribeInstances(
      { client: ec2, pageSize: 5 },
      { Filters: [{ Name: 'tag:Role', Values: ['web'] }] },
    )) {
      const instances = page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []
      pages.push(instances.length)
      found.push(...instances.map((i) => i.InstanceId ?? ''))
    }
    assert.deepEqual(pages, [5, 5, 2])
    assert.deepEqual(found, made)
    const combined = await failure(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [made[0] ?? ''], MaxResults: 5 })),
    )
    assert.equal(combined.name, 'InvalidParameterCombination')
  })

  test('DescribeInstanceStatus shows running instances, all with IncludeAllInstances, and the checks tests set', async (t) => {
    const { world, ec2 } = await setup(t)
    const up = world.ec2.addInstance()
    const down = world.ec2.addInstance({ state: 'stopped' })
    world.ec2.setStatus(up.id, { system: 'ok', instance: 'impaired' })
    const running = await ec2.send(new DescribeInstanceStatusCommand({}))
    assert.deepEqual(
      running.InstanceStatuses?.map((s) => s.InstanceId),
      [up.id],
    )
    assert.equal(running.InstanceStatuses?.[0]?.SystemStatus?.Status, 'ok')
    assert.equal(running.InstanceStatuses?.[0]?.InstanceStatus?.Status, 'impaired')
    assert.deepEqual(running.InstanceStatuses?.[0]?.InstanceStatus?.Details, [
      { Name: 'reachability', Status: 'failed' },
    ])
    const all = await ec2.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }))
    assert.deepEqual(
      all.InstanceStatuses?.map((s) => [s.InstanceId, s.InstanceState?.Name]),
      [
        [up.id, 'running'],
        [down.id, 'stopped'],
      ],
    )
    world.ec2.setStatus(up.id, { instance: 'initializing' })
    const initializing = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [up.id] }))
    assert.equal(initializing.InstanceStatuses?.[0]?.InstanceStatus?.Status, 'initializing')
  })

  test('CreateSnapshots takes one snapshot per volume, tagged, and they complete after the configured time', async (t) => {
    const { world, ec2 } = await setup(t)
    world.ec2.snapshotCompleteAfterMs = 300
    const instance = world.ec2.addInstance({
      volumes: [{ tags: { Disk: 'boot' } }, { tags: { Disk: 'data' } }, { tags: { Disk: 'logs' } }],
    })
    const logs = instance.volumes[2]?.id ?? ''
    const created = await ec2.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: instance.id,
          ExcludeBootVolume: true,
          ExcludeDataVolumeIds: [logs],
        },
        Description: 'before cutover',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'deploy', Value: 'd-1' }] }],
        CopyTagsFromSource: 'volume',
      }),
    )
    assert.equal(created.Snapshots?.length, 1)
    const [snapshot] = created.Snapshots ?? []
    assert.equal(snapshot?.VolumeId, instance.volumes[1]?.id)
    assert.equal(snapshot?.State, 'pending')
    assert.deepEqual(Object.fromEntries((snapshot?.Tags ?? []).map((tag) => [tag.Key, tag.Value])), {
      Disk: 'data',
      deploy: 'd-1',
    })

    const tagged = { OwnerIds: ['self'], Filters: [{ Name: 'tag:deploy', Values: ['d-1'] }] }
    const early = await ec2.send(new DescribeSnapshotsCommand(tagged))
    assert.equal(early.Snapshots?.[0]?.State, 'pending')
    assert.match(early.Snapshots?.[0]?.Progress ?? '', /^\d{1,2}%$/)
    const done = await waitUntilSnapshotCompleted(
      { client: ec2, maxWaitTime: 5, minDelay: 0.05, maxDelay: 0.1 },
      { SnapshotIds: [snapshot?.SnapshotId ?? ''] },
    )
    assert.equal(done.state, 'SUCCESS')
    const late = await ec2.send(new DescribeSnapshotsCommand(tagged))
    assert.equal(late.Snapshots?.[0]?.State, 'completed')
    assert.equal(late.Snapshots?.[0]?.Progress, '100%')
    assert.equal(late.Snapshots?.[0]?.Description, 'before cutover')

    const dry = await failure(
      ec2.send(
        new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: instance.id }, DryRun: true }),
      ),
    )
    assert.equal(dry.name, 'DryRunOperation')
    assert.equal(world.ec2.snapshots().length, 1, 'a DryRun takes no snapshot')
    const missing = await failure(
      ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0123456789abcdef0'] })),
    )
    assert.equal(missing.name, 'InvalidSnapshot.NotFound')
  })

  test('RequestLimitExceeded (HTTP 503) is retried by the SDK', async (t) => {
    const { sandbox, world, ec2 } = await setup(t)
    world.ec2.addInstance()
    sandbox.faults.add({ service: 'ec2', operation: 'DescribeInstances', kind: 'throttle' })
    const answer = await ec2.send(new DescribeInstancesCommand({}))
    assert.equal(answer.Reservations?.length, 1)
    assert.deepEqual(
      sandbox.log.of('ec2').map((c) => [c.attempt, c.status, c.error ?? 'ok']),
      [
        [1, 503, 'RequestLimitExceeded'],
        [2, 200, 'ok'],
      ],
    )
  })
})

describe('SSM', () => {
  test('GetParameter decrypts a SecureString only WithDecryption, and a missing name is ParameterNotFound', async (t) => {
    const { world, ssm } = await setup(t)
    world.ssm.putParameter('/giftcard/sql/password', 'hunter2', { type: 'SecureString' })
    const clear = await ssm.send(
      new GetParameterCommand({ Name: '/giftcard/sql/password', WithDecryption: true }),
    )
    assert.equal(clear.Parameter?.Value, 'hunter2')
    assert.equal(clear.Parameter?.Type, 'SecureString')
    assert.equal(clear.Parameter?.Version, 1)
    assert.ok(clear.Parameter?.LastModifiedDate instanceof Date)
    assert.equal(clear.Parameter?.ARN, 'arn:aws:ssm:us-east-1:123456789012:parameter/giftcard/sql/password')
    const cipher = await ssm.send(new GetParameterCommand({ Name: '/giftcard/sql/password' }))
    assert.ok(cipher.Parameter?.Value && !cipher.Parameter.Value.includes('hunter2'))
    const missing = await failure(ssm.send(new GetParameterCommand({ Name: '/nope' })))
    assert.equal(missing.name, 'ParameterNotFound')
    assert.equal(missing.$metadata?.httpStatusCode, 400)
  })

  test('responders answer SendCommand; ListCommandInvocations with Details shows output, status and exit codes', async (t) => {
    let now = Date.now()
    const { world, ssm } = await setup(t, { now: () => now })
    const good = world.ec2.addInstance({ tags: { Role: 'web', Name: 'web1' } })
    const bad = world.ec2.addInstance({ tags: { Role: 'web', Name: 'web2' } })
    const seen: unknown[] = []
    world.ssm.respond((instanceId, document, parameters) => {
      seen.push({ instanceId, document, parameters })
      return instanceId === good.id
        ? { stdout: 'Running W3SVC\n', exitCode: 0, durationMs: 150 }
        : { stdout: 'Stopped W3SVC\n', stderr: 'service is not running', exitCode: 3, durationMs: 150 }
    })
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunPowerShellScript',
        Targets: [{ Key: 'tag:Role', Values: ['web'] }],
        Parameters: { commands: ['Get-Service W3SVC'] },
        Comment: 'iis check',
      }),
    )
    const commandId = sent.Command?.CommandId ?? ''
    assert.equal(sent.Command?.Status, 'Pending')
    assert.equal(sent.Command?.TargetCount, 2)
    assert.deepEqual(seen[0], {
      instanceId: good.id,
      document: 'AWS-RunPowerShellScript',
      parameters: { commands: ['Get-Service W3SVC'] },
    })

    const list = async () =>
      (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true })))
        .CommandInvocations ?? []
    const running = await list()
    assert.deepEqual(
      running.map((i) => [i.Status, i.CommandPlugins?.[0]?.ResponseCode]),
      [
        ['InProgress', -1],
        ['InProgress', -1],
      ],
    )
    now += 150
    const [first, second] = await list()
    assert.equal(first?.InstanceId, good.id)
    assert.equal(first?.InstanceName, 'web1')
    assert.equal(first?.Status, 'Success')
    assert.equal(first?.CommandPlugins?.[0]?.Name, 'aws:runPowerShellScript')
    assert.equal(first?.CommandPlugins?.[0]?.ResponseCode, 0)
    assert.equal(first?.CommandPlugins?.[0]?.Output, 'Running W3SVC\n')
    assert.ok(first?.RequestedDateTime instanceof Date)
    assert.equal(second?.Status, 'Failed')
    assert.equal(second?.CommandPlugins?.[0]?.Status, 'Failed')
    assert.equal(second?.CommandPlugins?.[0]?.ResponseCode, 3)
    assert.match(
      second?.CommandPlugins?.[0]?.Output ?? '',
      /Stopped W3SVC\n\n----------ERROR-------\nservice is not running/,
    )

    const one = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: bad.id }))
    assert.equal(one.Status, 'Failed')
    assert.equal(one.ResponseCode, 3)
    assert.equal(one.StandardOutputContent, 'Stopped W3SVC\n')
    assert.equal(one.StandardErrorContent, 'service is not running')
    assert.match(one.ExecutionStartDateTime ?? '', /^\d{4}-\d\d-\d\dT/)
  })

  test('ListCommandInvocations pages through a command on many instances', async (t) => {
    const { world, ssm } = await setup(t)
    const ids = Array.from({ length: 7 }, () => world.ec2.addInstance().id)
    world.ssm.respond(async (instanceId) => ({
      stdout: `hello from ${instanceId}`,
      exitCode: 0,
      durationMs: 0,
    }))
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ids,
        Parameters: { commands: ['hostname'] },
      }),
    )
    const pages: number[] = []
    const outputs: string[] = []
    for await (const page of paginateListCommandInvocations(
      { client: ssm, pageSize: 3 },
      { CommandId: sent.Command?.CommandId, Details: true },
    )) {
      pages.push(page.CommandInvocations?.length ?? 0)
      outputs.push(...(page.CommandInvocations ?? []).map((i) => i.CommandPlugins?.[0]?.Output ?? ''))
    }
    assert.deepEqual(pages, [3, 3, 1])
    assert.deepEqual(
      outputs,
      ids.map((id) => `hello from ${id}`),
    )
  })

  test('SendCommand to 51 instances is refused and runs nothing', async (t) => {
    const { sandbox, world, ssm } = await setup(t)
    const ids = Array.from({ length: 51 }, (_, i) => `i-${(i + 1).toString(16).padStart(17, '0')}`)
    const error = await failure(
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: ids,
          Parameters: { commands: ['true'] },
        }),
      ),
    )
    assert.equal(error.name, 'ValidationException')
    assert.match(error.message, /Member must have length less than or equal to 50/)
    assert.equal(world.ssm.commands().length, 0)
    assert.deepEqual(
      sandbox.log.of('ssm').map((c) => [c.operation, c.status]),
      [['SendCommand', 400]],
    )

    const unknown = await failure(
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: ['i-0000000000000abcd'],
          Parameters: { commands: ['true'] },
        }),
      ),
    )
    assert.equal(unknown.name, 'InvalidInstanceId')
  })

  test('a run longer than executionTimeout ends TimedOut; an invocation can be briefly unknown after SendCommand', async (t) => {
    let now = Date.UTC(2026, 10, 26, 2, 0, 0)
    const { world, ssm } = await setup(t, { now: () => now })
    const instance = world.ec2.addInstance()
    world.ssm.respond(() => ({ stdout: 'still seeding', exitCode: 0, durationMs: 3_600_000 }))
    world.ssm.invocationVisibleAfterMs = 1000
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunPowerShellScript',
        InstanceIds: [instance.id],
        Parameters: { commands: ['Start-Seeding'], executionTimeout: ['900'] },
      }),
    )
    const ask = () =>
      ssm.send(
        new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: instance.id }),
      )
    assert.equal((await failure(ask())).name, 'InvocationDoesNotExist')
    now += 1000
    assert.equal((await ask()).Status, 'InProgress')
    now += 900_000
    const timedOut = await ask()
    assert.equal(timedOut.Status, 'TimedOut')
    assert.equal(timedOut.StatusDetails, 'Execution Timed Out')
  })

  test('ThrottlingException is retried by the SDK', async (t) => {
    const { sandbox, world, ssm } = await setup(t)
    world.ssm.putParameter('/x', 'y')
    sandbox.faults.add({ service: 'ssm', operation: 'GetParameter', kind: 'throttle' })
    assert.equal((await ssm.send(new GetParameterCommand({ Name: '/x' }))).Parameter?.Value, 'y')
    assert.deepEqual(
      sandbox.log.of('ssm').map((c) => [c.attempt, c.error ?? 'ok']),
      [
        [1, 'ThrottlingException'],
        [2, 'ok'],
      ],
    )
  })
})

describe('CloudWatch', () => {
  test('DescribeAlarms reports the state tests set, by name and by state', async (t) => {
    const { world, cloudwatch } = await setup(t)
    world.cloudwatch.setAlarm('giftcard-5xx', 'OK')
    world.cloudwatch.setAlarm('giftcard-latency', 'ALARM', 'p99 above 500 ms')
    const named = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['giftcard-latency'] }))
    assert.equal(named.MetricAlarms?.length, 1)
    assert.equal(named.MetricAlarms?.[0]?.StateValue, 'ALARM')
    assert.equal(named.MetricAlarms?.[0]?.StateReason, 'p99 above 500 ms')
    assert.ok(named.MetricAlarms?.[0]?.StateUpdatedTimestamp instanceof Date)
    const alarming = await cloudwatch.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }))
    assert.deepEqual(
      alarming.MetricAlarms?.map((a) => a.AlarmName),
      ['giftcard-latency'],
    )
    const composite = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm'] }))
    assert.deepEqual(composite.MetricAlarms, [])
    const both = await failure(
      cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['a'], AlarmNamePrefix: 'a' })),
    )
    assert.equal(both.name, 'InvalidParameterCombinationException')
  })

  test('an alarm scheduled to turn ALARM does so when its time comes', async (t) => {
    let now = Date.now()
    const { world, cloudwatch } = await setup(t, { now: () => now })
    world.cloudwatch.setAlarm('giftcard-5xx', 'OK')
    const scheduledAt = now
    world.cloudwatch.scheduleAlarm('giftcard-5xx', 'ALARM', 150, 'Threshold Crossed: 12 errors')
    const state = async () =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['giftcard-5xx'] }))).MetricAlarms?.[0]
    now += 149
    assert.equal((await state())?.StateValue, 'OK')
    now += 51
    const turned = await state()
    assert.equal(turned?.StateValue, 'ALARM')
    assert.equal(turned?.StateReason, 'Threshold Crossed: 12 errors')
    assert.equal(
      turned?.StateUpdatedTimestamp?.getTime(),
      scheduledAt + 150,
      'the transition is stamped with its scheduled time',
    )
  })

  test('DescribeAlarms pages with MaxRecords and NextToken', async (t) => {
    const { world, cloudwatch } = await setup(t)
    for (const name of ['e', 'a', 'd', 'b', 'c']) world.cloudwatch.setAlarm(`alarm-${name}`, 'OK')
    const names: string[] = []
    let pages = 0
    for await (const page of paginateDescribeAlarms({ client: cloudwatch, pageSize: 2 }, {})) {
      pages++
      names.push(...(page.MetricAlarms ?? []).map((a) => a.AlarmName ?? ''))
    }
    assert.equal(pages, 3)
    assert.deepEqual(names, ['alarm-a', 'alarm-b', 'alarm-c', 'alarm-d', 'alarm-e'])
  })

  test('Throttling comes back as Throttling and is retried', async (t) => {
    const { sandbox, cloudwatch } = await setup(t)
    sandbox.faults.add({ service: 'cloudwatch', operation: 'DescribeAlarms', kind: 'throttle', times: 2 })
    const once = new CloudWatchClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    })
    t.after(() => once.destroy())
    const error = await failure(once.send(new DescribeAlarmsCommand({})))
    assert.equal(error.name, 'Throttling')
    assert.equal(error.$metadata?.httpStatusCode, 400)
    await cloudwatch.send(new DescribeAlarmsCommand({}))
    assert.deepEqual(
      sandbox.log.of('cloudwatch').map((c) => [c.attempt, c.status]),
      [
        [1, 400],
        [1, 400],
        [2, 200],
      ],
    )
  })
})

describe('SNS and STS', () => {
  test('Publish records the message; an unknown topic is NotFound', async (t) => {
    const { world, sns } = await setup(t)
    const topic = world.sns.addTopic('giftcard-cutover')
    const answer = await sns.send(
      new PublishCommand({
        TopicArn: topic,
        Subject: 'Stage 2 of 3',
        Message: 'Traffic at 50% on aws',
        MessageAttributes: { runId: { DataType: 'String', StringValue: 'r-1' } },
      }),
    )
    assert.equal(world.sns.messages.length, 1)
    assert.deepEqual(world.sns.messages[0], {
      messageId: answer.MessageId,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:giftcard-cutover',
      message: 'Traffic at 50% on aws',
      subject: 'Stage 2 of 3',
      attributes: { runId: { DataType: 'String', StringValue: 'r-1' } },
      at: world.sns.messages[0]?.at,
    })
    const missing = await failure(sns.send(new PublishCommand({ TopicArn: `${topic}-typo`, Message: 'x' })))
    assert.equal(missing.name, 'NotFoundException')
    assert.equal(missing.$metadata?.httpStatusCode, 404)
  })

  test('GetCallerIdentity answers the configured account and ARN', async (t) => {
    const { world, sts } = await setup(t, { account: '210987654321' })
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '210987654321')
    world.sts.setIdentity({ Arn: 'arn:aws:sts::210987654321:assumed-role/cutover/ana' })
    const who = await sts.send(new GetCallerIdentityCommand({}))
    assert.equal(who.Arn, 'arn:aws:sts::210987654321:assumed-role/cutover/ana')
    assert.equal(who.Account, '210987654321')
  })
})

describe('faults and the request log', () => {
  test('reads are logged as non-mutating: a dry run makes zero mutating calls', async (t) => {
    const { sandbox, world, route53, ec2, ssm, cloudwatch, sts } = await setup(t)
    const zone = seedWeighted(sandbox)
    world.ssm.putParameter('/p', 'v')
    await sts.send(new GetCallerIdentityCommand({}))
    await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }))
    await ec2.send(new DescribeInstancesCommand({}))
    await ssm.send(new GetParameterCommand({ Name: '/p' }))
    await cloudwatch.send(new DescribeAlarmsCommand({}))
    assert.equal(sandbox.log.calls.length, 5)
    assert.deepEqual(sandbox.log.mutating(), [])
    const [first] = sandbox.log.calls
    assert.equal(first?.service, 'sts')
    assert.equal(first?.operation, 'GetCallerIdentity')
    assert.equal(first?.attempt, 1)
    assert.equal(typeof first?.at, 'number')
    assert.deepEqual(sandbox.log.of('route53')[0]?.params, { HostedZoneId: zone.id, MaxItems: 300 })
    assert.deepEqual(sandbox.log.of('ssm')[0]?.params, { Name: '/p' })
  })

  test('a server error is retried; faults on one operation are consumed in order', async (t) => {
    const { sandbox, sts } = await setup(t)
    sandbox.faults.add({ service: 'sts', operation: 'GetCallerIdentity', kind: 'server-error' })
    sandbox.faults.add({ service: 'sts', operation: 'GetCallerIdentity', kind: 'server-error', status: 503 })
    await sts.send(new GetCallerIdentityCommand({}))
    assert.deepEqual(
      sandbox.log.of('sts').map((c) => [c.attempt, c.status, c.error ?? 'ok']),
      [
        [1, 500, 'InternalFailure'],
        [2, 503, 'ServiceUnavailable'],
        [3, 200, 'ok'],
      ],
    )
    assert.deepEqual(sandbox.faults.pending(), [])
  })

  test('a dropped connection surfaces as a network error, and a retried one succeeds', async (t) => {
    const { sandbox, sts } = await setup(t, {}, { maxAttempts: 1 })
    sandbox.faults.add({ service: 'sts', kind: 'drop' })
    const error = (await failure(sts.send(new GetCallerIdentityCommand({})))) as Error & { code?: string }
    assert.equal(error.code, 'ECONNRESET')
    assert.equal(sandbox.log.calls[0]?.status, 0)
    assert.equal(sandbox.log.calls[0]?.fault, 'drop')

    const retrying = new STSClient({
      endpoint: sandbox.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    })
    t.after(() => retrying.destroy())
    sandbox.faults.add({ service: 'sts', kind: 'drop' })
    assert.equal((await retrying.send(new GetCallerIdentityCommand({}))).$metadata.attempts, 2)
  })

  test('a slow answer times the client out, though the change it carried was made', async (t) => {
    const { sandbox, route53 } = await setup(
      t,
      {},
      {
        maxAttempts: 1,
        // Without throwOnRequestTimeout this SDK only logs a warning when requestTimeout passes.
        requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
      },
    )
    const zone = seedWeighted(sandbox)
    sandbox.faults.add({
      service: 'route53',
      operation: 'ChangeResourceRecordSets',
      kind: 'slow',
      delayMs: 400,
    })
    const error = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.id,
          ChangeBatch: { Changes: [upsert(weighted('aws', 30, '10.0.1.10'))] },
        }),
      ),
    )
    assert.equal(error.name, 'TimeoutError')
    assert.equal(sandbox.world.route53.weights(zone.id, 'gift.example.com', 'A').aws, 30)
  })

  test('malformed, oversized and unroutable requests get 400-class errors in the protocol shape, and the server lives on', async (t) => {
    const { sandbox, sts } = await setup(t)
    const zone = seedWeighted(sandbox)
    const r53 = await fetch(`${sandbox.url}/2013-04-01/hostedzone/${zone.id}/rrset`, {
      method: 'POST',
      body: '<ChangeResourceRecordSetsRequest><ChangeBatch>',
    })
    assert.equal(r53.status, 400)
    assert.ok(r53.headers.get('x-amzn-requestid'))
    assert.match(
      await r53.text(),
      /<ErrorResponse xmlns="https:\/\/route53[^"]*"><Error><Type>Sender<\/Type><Code>InvalidInput<\/Code>/,
    )

    const json = await fetch(sandbox.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: '{"Name":',
    })
    assert.equal(json.status, 400)
    assert.equal(json.headers.get('x-amzn-errortype'), 'SerializationException')
    assert.equal(((await json.json()) as { __type: string }).__type, 'SerializationException')

    const ec2 = await fetch(sandbox.url, {
      method: 'POST',
      body: 'Action=DescribeInstances&Version=2016-11-15&InstanceId.99999999=i-1',
    })
    assert.equal(ec2.status, 400)
    assert.match(
      await ec2.text(),
      /^<\?xml[^>]*>\s*<Response><Errors><Error><Code>MalformedQueryString<\/Code>.*<RequestID>/,
    )

    const huge = await fetch(sandbox.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSSM.GetParameter' },
      body: `{"Name":"${'x'.repeat(1024 * 1024)}"}`,
    })
    assert.equal(huge.status, 413)
    await huge.text()

    const nowhere = await fetch(`${sandbox.url}/nothing/here`)
    assert.equal(nowhere.status, 400)
    assert.match(await nowhere.text(), /<Code>UnknownService<\/Code>/)

    const unsigned = await fetch(sandbox.url, {
      method: 'POST',
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    })
    assert.match(
      await unsigned.text(),
      /<GetCallerIdentityResponse[^>]*><GetCallerIdentityResult><Account>123456789012</,
    )

    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '123456789012')
  })

  test('every answer carries x-amzn-RequestId, which the SDK reports as the request id', async (t) => {
    const { sandbox, ssm, sts } = await setup(t)
    const ok = await sts.send(new GetCallerIdentityCommand({}))
    assert.match(ok.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/)
    const error = (await failure(ssm.send(new GetParameterCommand({ Name: '/none' })))) as Error & {
      $metadata: { requestId?: string }
    }
    assert.match(error.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/)
    assert.equal(sandbox.log.calls.length, 2)
  })
})

describe('sandboxEnv', () => {
  test('holds the endpoint, a region only when none is set, dummy keys and nothing else', () => {
    assert.deepEqual(sandboxEnv('http://127.0.0.1:4566', {}), {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
    })
    assert.equal(sandboxEnv('http://127.0.0.1:4566', { AWS_REGION: 'ap-south-1' }).AWS_REGION, undefined)
  })

  test('a client built with no endpoint option reaches the sandbox through that environment', async (t) => {
    const sandbox = await startAwsSandbox()
    const env = sandboxEnv(sandbox.url, {})
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
    Object.assign(process.env, env)
    const client = new STSClient({})
    t.after(async () => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
      client.destroy()
      await sandbox.close()
    })
    assert.equal((await client.send(new GetCallerIdentityCommand({}))).Account, '123456789012')
    assert.equal(sandbox.log.calls[0]?.operation, 'GetCallerIdentity')
  })
})
