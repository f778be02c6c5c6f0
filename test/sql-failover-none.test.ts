// sql.failover on a read-scale (CLUSTER_TYPE = NONE) and an EXTERNAL (Pacemaker) availability group: the real mssql
// client over TDS against the sandbox's SQL Servers, on a gift-card world whose AG has that cluster type and
// SQL-AWS-1 added outside any WSFC and seeded.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { demoSqlWorld, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import { sqlAddReplica } from '../src/steps/sql/add-replica.ts'
import { sqlFailover } from '../src/steps/sql/failover.ts'
import { sqlSeedReplica } from '../src/steps/sql/seed-replica.ts'
import { DEMO_AG as AG, DEMO_ADD_REPLICA, demoSqlTargets } from './helpers/sql-demo.ts'
import { sandboxExec } from './helpers/sql-pool.ts'
import { createStepContext } from './helpers/step-context.ts'
import { run, step } from './helpers/step-run.ts'

const PASSWORD = 'Read-scale-at-2am-2024!'
const FAILOVER = { ag: AG, primary: 'sql-onprem', to: 'sql-aws', poll: '50ms', sync_timeout: '5s' }

const closers: Array<() => Promise<unknown>> = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

async function readScalePlatform(clusterType: 'NONE' | 'EXTERNAL') {
  const world = demoSqlWorld({
    password: PASSWORD,
    seedingBytesPerSecond: 4000 * 1024 * 1024,
    synchronizeAfterMs: 150,
  })
  const group = world.group(AG)
  assert.ok(group)
  group.clusterType = 'NONE'
  world.instance('SQL-AWS-1').cluster = null
  const sandbox = await startSqlSandbox({ world })
  closers.push(() => sandbox.close())
  const targets = demoSqlTargets(sandbox, PASSWORD)
  const context = () => {
    const t = createStepContext({ workdir: process.cwd(), targets, secrets: [PASSWORD] })
    closers.push(() => t.close())
    return t
  }
  await run(sqlAddReplica, DEMO_ADD_REPLICA, context())
  const SEED = { ag: AG, primary: 'sql-onprem', replica: 'sql-aws', seeding: 'automatic', poll: '50ms' }
  await run(sqlSeedReplica, { ...SEED, databases: ['GiftCard', 'GiftCardAudit'] }, context())
  // Set after the replica is in: add-replica itself refuses an EXTERNAL AG.
  group.clusterType = clusterType
  const exec = (instance: string, text: string) => sandboxExec(sandbox, instance, PASSWORD, text)
  return { world, context, exec }
}

const primaryOf = (world: SqlWorld) => world.group(AG)?.replicas.find((r) => r.role === 'PRIMARY')?.server
const suspendedCopies = (world: SqlWorld) =>
  world.instances.flatMap((i) =>
    i.databases.filter((d) => d.ag === AG && d.suspended).map((d) => `${d.name} on ${i.name}`),
  )

describe('sql.failover on a read-scale (CLUSTER_TYPE = NONE) availability group', () => {
  test('SQL Server refuses a plain FAILOVER on a NONE AG with Msg 47122', async () => {
    const p = await readScalePlatform('NONE')
    await assert.rejects(
      p.exec('SQL-AWS-1', `ALTER AVAILABILITY GROUP [${AG}] FAILOVER`),
      (error: { number?: number; message: string }) => {
        assert.equal(error.number, 47122)
        assert.match(error.message, /CLUSTER_TYPE = NONE\. Only force failover is supported/)
        return true
      },
    )
    assert.equal(primaryOf(p.world), 'SQL-ONPREM-1')
  })

  test('a planned failover demotes the primary, forces on the synchronized target, resumes the old primary; rollback fails back the same way', async () => {
    const p = await readScalePlatform('NONE')
    const t = p.context()
    const switched = { ...FAILOVER, resume: ['sql-onprem-2'] }
    const { plan, outputs } = await run(sqlFailover, switched, t)
    assert.ok(
      plan.changes.some((c) =>
        /read-scale, CLUSTER_TYPE = NONE: SET \(ROLE = SECONDARY\) on SQL-ONPREM-1, FORCE_FAILOVER_ALLOW_DATA_LOSS on SQL-AWS-1/.test(
          c.summary,
        ),
      ),
      'the plan shows the read-scale procedure',
    )
    assert.equal(outputs.primary, 'SQL-AWS-1')
    assert.deepEqual(outputs.databases, ['GiftCard', 'GiftCardAudit'])
    assert.equal(primaryOf(p.world), 'SQL-AWS-1')
    const steps = t.progress
      .map((u) => u.message ?? '')
      .filter((m) => /^(making every commit|demoting|promoting|resuming data movement)/.test(m))
      .map((m) => m.replace(/ \(.*$/, ''))
    assert.deepEqual(steps, [
      'making every commit wait for a synchronized secondary',
      'demoting SQL-ONPREM-1 to secondary',
      'promoting SQL-AWS-1',
      'resuming data movement of GiftCard on SQL-ONPREM-1',
      'resuming data movement of GiftCardAudit on SQL-ONPREM-1',
    ])
    assert.equal(p.world.group(AG)?.requiredSynchronizedSecondaries, 0, 'the commit setting is put back')
    assert.deepEqual(outputs.resumed, ['SQL-ONPREM-2'])
    assert.deepEqual(suspendedCopies(p.world), [], 'data movement resumed everywhere the FORCE suspended it')
    assert.deepEqual(t.warnings, [])
    assert.equal((t.undo[0] as { forced: boolean }).forced, false, 'a lossless switch, not a DR force')

    const { params, implementation } = await step(sqlFailover, switched)
    await implementation.compensate?.(p.context().ctx, params, t.undo)
    assert.equal(primaryOf(p.world), 'SQL-ONPREM-1')
    assert.deepEqual(suspendedCopies(p.world), [])
  })
})

describe('sql.failover on an EXTERNAL (Pacemaker) availability group', () => {
  test('is refused before acting, naming the cluster manager command, with nothing changed', async () => {
    const p = await readScalePlatform('EXTERNAL')
    const modes = JSON.stringify(
      p.world.group(AG)?.replicas.map((r) => [r.server, r.availabilityMode, r.role]),
    )
    const t = p.context()
    await assert.rejects(run(sqlFailover, FAILOVER, t), (error: Error & { hint?: string }) => {
      assert.equal(error.constructor.name, 'RefusedBeforeActingError')
      assert.match(error.message, /cluster type EXTERNAL: .*nothing was changed/)
      assert.match(error.hint ?? '', /pcs resource move .*SQL-AWS-1 --master/)
      return true
    })
    assert.deepEqual(t.undo, [])
    assert.equal(primaryOf(p.world), 'SQL-ONPREM-1')
    assert.equal(
      JSON.stringify(p.world.group(AG)?.replicas.map((r) => [r.server, r.availabilityMode, r.role])),
      modes,
    )
    await assert.rejects(
      p.exec('SQL-AWS-1', `ALTER AVAILABILITY GROUP [${AG}] FAILOVER`),
      (error: { number?: number }) => error.number === 47104,
    )
  })
})
