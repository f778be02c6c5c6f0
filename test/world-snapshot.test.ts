// The sandbox's whole-world snapshot and diff: what rollback and drills are judged by.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DEMO_PLATFORM_AWS } from '../src/sandbox/aws/demo-world.ts'
import { DEMO_PLATFORM, type DemoPlatform, startDemoPlatform } from '../src/sandbox/demo-platform.ts'
import { describeDifferences, diffWorlds, snapshotWorld } from '../src/sandbox/world-snapshot.ts'

let platform: DemoPlatform
before(async () => {
  platform = await startDemoPlatform({ fixedPorts: false, withoutLdap: true })
})
after(() => platform?.close())

const record = (weight: number) => ({
  Name: 'www.gift.example',
  Type: 'CNAME',
  SetIdentifier: 'aws',
  Weight: weight,
  TTL: 1,
  ResourceRecords: [{ Value: 'alb-giftcard.us-east-1.elb.amazonaws.com' }],
})

describe('the sandbox world snapshot', () => {
  test('a change anywhere is a difference at its path; putting it back leaves none', async () => {
    const before = await snapshotWorld(platform)
    const { aws, sql, fleet } = platform
    const web1 = platform.addresses.web['web-aws-1']?.instanceId ?? ''
    aws.world.route53.putRecord(DEMO_PLATFORM.zone, record(50))
    fleet.setAppPool(Object.values(platform.addresses.web)[0]?.instanceId ?? '', 'GiftCard', 'Stopped')
    const aws1 = sql.world.instance('SQL-AWS-1')
    const source = sql.world.database(sql.world.instance('SQL-ONPREM-1'), 'GiftCard')
    assert.ok(source)
    sql.world.copyDatabase(source, aws1, 'RESTORING')
    aws.world.autoscaling.suspend(DEMO_PLATFORM_AWS.webAutoScalingGroup, ['AZRebalance'])
    aws.world.elbv2.setTargetHealth(
      DEMO_PLATFORM_AWS.webTargetGroup,
      web1,
      'draining',
      'Target.DeregistrationInProgress',
    )

    const lines = describeDifferences(diffWorlds(before, await snapshotWorld(platform)).differences)
    assert.ok(
      lines.includes(
        `changed /aws/route53/zones/${DEMO_PLATFORM.zone}/records/www.gift.example. CNAME aws/Weight: 0 -> 50`,
      ),
      lines.join('\n'),
    )
    assert.ok(
      lines.some((l) =>
        /^changed \/iis\/servers\/i-\w+\/appPools\/GiftCard: "Started" -> "Stopped"$/.test(l),
      ),
    )
    assert.ok(lines.some((l) => l.startsWith('added /sql/instances/SQL-AWS-1/databases/GiftCard: {')))
    assert.ok(lines.some((l) => l.startsWith('changed /sql/instances/SQL-AWS-1/volumes/D:\\/availableBytes')))
    assert.ok(
      lines.includes(
        `added /aws/autoscaling/groups/${DEMO_PLATFORM_AWS.webAutoScalingGroup}/suspended/0: "AZRebalance"`,
      ),
    )
    assert.ok(
      lines.includes(
        `changed /aws/elbv2/targetGroups/${DEMO_PLATFORM_AWS.webTargetGroup}/targets/0/state: "healthy" -> "draining"`,
      ),
      lines.join('\n'),
    )

    aws.world.route53.putRecord(DEMO_PLATFORM.zone, record(0))
    fleet.setAppPool(Object.values(platform.addresses.web)[0]?.instanceId ?? '', 'GiftCard', 'Started')
    sql.world.dropDatabase(aws1, 'GiftCard')
    aws.world.autoscaling.resume(DEMO_PLATFORM_AWS.webAutoScalingGroup, ['AZRebalance'])
    aws.world.elbv2.setTargetHealth(DEMO_PLATFORM_AWS.webTargetGroup, web1, 'healthy')
    assert.deepEqual(describeDifferences(diffWorlds(before, await snapshotWorld(platform)).differences), [])
  })

  test('what rollback keeps on purpose is listed as kept, with why, not as a difference', async () => {
    const before = await snapshotWorld(platform)
    const [instance] = platform.aws.world.ec2.instances()
    assert.ok(instance?.volumes[0])
    platform.aws.world.ec2.takeSnapshot(instance.volumes[0], 'before the cutover', {})
    const diff = diffWorlds(before, await snapshotWorld(platform))
    assert.deepEqual(diff.differences, [])
    assert.deepEqual(
      diff.kept.find((k) => k.path === '/aws/ec2/snapshots'),
      {
        path: '/aws/ec2/snapshots',
        why: 'EBS snapshots the run took: rollback keeps them as the way back',
        paths: 1,
      },
    )
  })

  test('no secret of the platform is in a snapshot: SSM SecureStrings and SQL logins appear as hashes', async () => {
    const text = JSON.stringify(await snapshotWorld(platform))
    assert.ok(!text.includes(DEMO_PLATFORM.sql.password))
    assert.ok(!text.includes(DEMO_PLATFORM.ldap.password))
    assert.match(text, /"valueSha256":"[0-9a-f]{64}"/)
    assert.match(text, /"passwordSha256":"[0-9a-f]{64}"/)
  })
})
