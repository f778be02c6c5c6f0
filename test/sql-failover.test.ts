// sql.failover's disaster path and post-cutover modes, and sql.wait-sync under an asynchronous primary: the real
// mssql client over TDS against the sandbox's SQL Servers (a host taken down refuses connections), on a gift-card
// world where SQL-AWS-1 has been added and seeded.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { demoSqlWorld, type SqlSandbox, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import { sqlAddReplica } from '../src/steps/sql/add-replica.ts'
import { sqlFailover } from '../src/steps/sql/failover.ts'
import { sqlSeedReplica } from '../src/steps/sql/seed-replica.ts'
import { sqlWaitSync } from '../src/steps/sql/wait-sync.ts'
import { demoSqlTargets } from './helpers/sql-demo.ts'
import { sandboxPool } from './helpers/sql-pool.ts'
import { createStepContext, type TestStepContext } from './helpers/step-context.ts'
import { run, step } from './helpers/step-run.ts'

const PASSWORD = 'Fail-over-at-2am-2024!'
const AG = 'AG-GIFTCARD'
const FAILOVER = { ag: AG, primary: 'sql-onprem', to: 'sql-aws', poll: '50ms', sync_timeout: '5s' }

interface Platform {
  world: SqlWorld
  sandbox: SqlSandbox
  context(options?: {
    approve?: TestStepContext['ctx']['approve']
    sleep?: (ms: number) => Promise<void>
  }): TestStepContext
  /** Sends T-SQL to an instance as a DBA would. */
  exec(instance: string, sql: string): Promise<void>
}

const closers: Array<() => Promise<unknown>> = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

/** The gift-card world with SQL-AWS-1 added (asynchronous, manual failover) and both AG databases seeded to it. */
async function seededPlatform(): Promise<Platform> {
  const world = demoSqlWorld({
    password: PASSWORD,
    seedingBytesPerSecond: 4000 * 1024 * 1024,
    synchronizeAfterMs: 150,
  })
  const sandbox = await startSqlSandbox({ world })
  closers.push(() => sandbox.close())
  const targets = demoSqlTargets(sandbox, PASSWORD)
  const p: Platform = {
    world,
    sandbox,
    context: (o = {}) => {
      const t = createStepContext({ workdir: process.cwd(), targets, secrets: [PASSWORD], ...o })
      closers.push(() => t.close())
      return t
    },
    exec: async (instance, sql) => {
      const pool = sandboxPool(sandbox, instance, PASSWORD, { options: { trustServerCertificate: true } })
      await pool.connect()
      try {
        await pool.request().query(sql)
      } finally {
        await pool.close()
      }
    },
  }
  await run(
    sqlAddReplica,
    {
      ag: AG,
      primary: 'sql-onprem',
      replica: 'sql-aws',
      endpoint_url: 'TCP://sql-aws-1.giftcard.local:5022',
      listener_ip: { listener: 'giftcard-lsn', ip: '10.20.1.50', mask: '255.255.255.0' },
    },
    p.context(),
  )
  await run(
    sqlSeedReplica,
    {
      ag: AG,
      primary: 'sql-onprem',
      replica: 'sql-aws',
      databases: ['GiftCard', 'GiftCardAudit'],
      seeding: 'automatic',
      poll: '50ms',
    },
    p.context(),
  )
  return p
}

const primaryOf = (world: SqlWorld) => world.group(AG)?.replicas.find((r) => r.role === 'PRIMARY')?.server
const modesOf = (world: SqlWorld) =>
  Object.fromEntries(
    (world.group(AG)?.replicas ?? []).map((r) => [r.server, `${r.availabilityMode} ${r.failoverMode}`]),
  )

/** An approver that records what it was asked. */
function approver(asked: string[]) {
  return async (request: { message: string }) => {
    asked.push(request.message)
    return { operator: 'dba-on-call', reason: 'on-prem datacenter lost' }
  }
}

describe('sql.failover when the primary site is down (disaster recovery)', () => {
  test('connects only to AWS: refuses without quorum, forces once quorum is forced, reports the data-loss window and lists the suspended databases', async () => {
    const p = await seededPlatform()
    await p.sandbox.takeDown('SQL-ONPREM-1')
    await p.sandbox.takeDown('SQL-ONPREM-2')
    const asked: string[] = []
    const dr = { ...FAILOVER, allow_data_loss: true }

    const { params, implementation } = await step(sqlFailover, dr)
    const plan = await implementation.plan(p.context().ctx, params)
    assert.match(
      plan.changes[0]?.summary ?? '',
      /FORCE AG-GIFTCARD over to SQL-AWS-1 WITH POSSIBLE DATA LOSS/,
    )
    assert.match(plan.changes[0]?.summary ?? '', /SQL-ONPREM-1 does not answer/)
    assert.match(
      plan.changes[0]?.summary ?? '',
      /UNKNOWN_QUORUM_STATE; down: SQL-ONPREM-1, SQL-ONPREM-2 — refused until quorum is forced/,
    )

    await assert.rejects(
      implementation.apply(p.context({ approve: approver(asked) }).ctx, params, plan),
      (error: Error & { hint?: string }) => {
        assert.match(
          error.message,
          /no forced failover of AG-GIFTCARD to SQL-AWS-1: cluster GIFTCARD-WSFC UNKNOWN_QUORUM_STATE/,
        )
        assert.match(error.message, /nothing was changed/)
        assert.match(String(error.hint), /Start-ClusterNode -FixQuorum/)
        return true
      },
    )
    assert.deepEqual(asked, [], 'no approval is asked for a failover the cluster cannot do')
    assert.equal(primaryOf(p.world), 'SQL-ONPREM-1')

    p.world.forceQuorum('SQL-AWS-1')
    const t = p.context({ approve: approver(asked) })
    const outputs = await implementation.apply(t.ctx, params, plan)
    assert.equal(primaryOf(p.world), 'SQL-AWS-1')
    assert.equal(asked.length, 1)
    assert.match(
      asked[0] ?? '',
      /FORCE failover of AG-GIFTCARD to SQL-AWS-1 WITH DATA LOSS: SQL-ONPREM-1 does not answer/,
    )
    assert.match(asked[0] ?? '', /cluster GIFTCARD-WSFC FORCED_QUORUM/)
    assert.match(
      asked[0] ?? '',
      /GiftCard: SQL-AWS-1 hardened to LSN \d+, last commit \d{4}-\d\d-\d\dT[\d:.]+Z; SQL-ONPREM-1 does not answer: commits after that are lost/,
    )
    const window = outputs.data_loss as Array<{ database: string; hardened_lsn: string }>
    assert.deepEqual(window.map((w) => w.database).sort(), ['GiftCard', 'GiftCardAudit'])
    assert.ok(window.every((w) => /^\d+$/.test(w.hardened_lsn)))
    assert.equal((t.undo.at(-1) as { forced: boolean }).forced, true, 'journaled as forced before forcing')
    const suspended = outputs.suspended as Array<{ replica: string; database: string }>
    assert.deepEqual(suspended.map((s) => `${s.database} on ${s.replica}`).sort(), [
      'GiftCard on SQL-ONPREM-1',
      'GiftCard on SQL-ONPREM-2',
      'GiftCardAudit on SQL-ONPREM-1',
      'GiftCardAudit on SQL-ONPREM-2',
    ])
    assert.match(t.warnings.join('\n'), /SET HADR RESUME; on SQL-ONPREM-1, snapshot first/)
  })

  test('resumes the databases on the secondaries the runbook names, never on the old primary', async () => {
    const p = await seededPlatform()
    await p.sandbox.takeDown('SQL-ONPREM-1')
    assert.throws(
      () => sqlFailover.params.parse({ ...FAILOVER, allow_data_loss: true, resume: ['sql-onprem'] }),
      /resume must not name the old primary/,
    )
    const t = p.context({ approve: approver([]) })
    const { outputs } = await run(
      sqlFailover,
      { ...FAILOVER, allow_data_loss: true, resume: ['sql-onprem-2'] },
      t,
    )
    assert.equal(primaryOf(p.world), 'SQL-AWS-1')
    assert.deepEqual(outputs.resumed, ['SQL-ONPREM-2'])
    const onprem2 = p.world.instance('SQL-ONPREM-2').databases.filter((d) => d.ag === AG)
    assert.deepEqual(
      onprem2.map((d) => [d.name, d.suspended]),
      [
        ['GiftCard', false],
        ['GiftCardAudit', false],
      ],
    )
    assert.deepEqual(
      (outputs.suspended as Array<{ replica: string }>).map((s) => s.replica),
      ['SQL-ONPREM-1', 'SQL-ONPREM-1'],
    )
  })

  test('while the old primary still answers, the approval compares each database with its end of log', async () => {
    const p = await seededPlatform()
    p.world.neverSynchronize('SQL-AWS-1')
    const asked: string[] = []
    const { outputs } = await run(
      sqlFailover,
      { ...FAILOVER, sync_timeout: '300ms', allow_data_loss: true },
      p.context({ approve: approver(asked) }),
    )
    assert.equal(primaryOf(p.world), 'SQL-AWS-1')
    assert.match(asked[0] ?? '', /SQL-AWS-1 is not SYNCHRONIZED/)
    assert.match(
      asked[0] ?? '',
      /GiftCard: SQL-AWS-1 hardened to LSN (\d+).*; SQL-ONPREM-1 at LSN (\d+), last commit [^:]+:[^:]+:[\d.]+Z: about [\d.]+ s of commits lost/,
    )
    const window = outputs.data_loss as Array<{ hardened_lsn: string; primary_end_of_log_lsn: string }>
    assert.ok(window.every((w) => BigInt(w.hardened_lsn) < BigInt(w.primary_end_of_log_lsn)))
  })
})

describe('sql.failover modes after the cutover', () => {
  const MODES = {
    ...FAILOVER,
    modes_after: {
      'SQL-AWS-1': { availability: 'synchronous', failover: 'automatic' },
      'SQL-ONPREM-1': { availability: 'asynchronous', failover: 'manual' },
      'SQL-ONPREM-2': { availability: 'asynchronous', failover: 'manual' },
    },
  }

  test('SQL Server refuses asynchronous commit on a replica with automatic failover', async () => {
    const p = await seededPlatform()
    await assert.rejects(
      p.exec(
        'SQL-ONPREM-1',
        "ALTER AVAILABILITY GROUP [AG-GIFTCARD] MODIFY REPLICA ON N'SQL-ONPREM-2' WITH (AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT)",
      ),
      /automatic failover/,
    )
    assert.throws(
      () =>
        sqlFailover.params.parse({
          ...FAILOVER,
          modes_after: { 'SQL-AWS-1': { availability: 'asynchronous', failover: 'automatic' } },
        }),
      /automatic failover needs availability: synchronous/,
    )
  })

  test('are planned one by one, set in an order SQL Server accepts, and put back by rollback', async () => {
    const p = await seededPlatform()
    const t = p.context()
    const { plan, outputs } = await run(sqlFailover, MODES, t)
    assert.equal(outputs.primary, 'SQL-AWS-1')
    const planned = plan.changes.map((c) => c.summary).filter((s) => s.startsWith('after the failover'))
    assert.deepEqual(planned, [
      'after the failover: SQL-ONPREM-1 FAILOVER_MODE AUTOMATIC → MANUAL',
      'after the failover: SQL-ONPREM-2 FAILOVER_MODE AUTOMATIC → MANUAL',
      'after the failover: SQL-ONPREM-1 AVAILABILITY_MODE SYNCHRONOUS_COMMIT → ASYNCHRONOUS_COMMIT',
      'after the failover: SQL-ONPREM-2 AVAILABILITY_MODE SYNCHRONOUS_COMMIT → ASYNCHRONOUS_COMMIT',
      'after the failover: SQL-AWS-1 FAILOVER_MODE MANUAL → AUTOMATIC',
    ])
    assert.deepEqual(modesOf(p.world), {
      'SQL-ONPREM-1': 'ASYNCHRONOUS_COMMIT MANUAL',
      'SQL-ONPREM-2': 'ASYNCHRONOUS_COMMIT MANUAL',
      'SQL-AWS-1': 'SYNCHRONOUS_COMMIT AUTOMATIC',
    })
    const undo = t.undo[0] as { modes: Record<string, { availability: string; failover: string }> }
    assert.deepEqual(undo.modes['SQL-ONPREM-2'], {
      availability: 'SYNCHRONOUS_COMMIT',
      failover: 'AUTOMATIC',
    })

    const { params, implementation } = await step(sqlFailover, MODES)
    assert.deepEqual((await implementation.plan(p.context().ctx, params)).changes, [], 'nothing left to do')
    // A DBA puts SQL-ONPREM-2 back to synchronous: running the step again sets it as the runbook says.
    await p.exec(
      'SQL-AWS-1',
      "ALTER AVAILABILITY GROUP [AG-GIFTCARD] MODIFY REPLICA ON N'SQL-ONPREM-2' WITH (AVAILABILITY_MODE = SYNCHRONOUS_COMMIT)",
    )
    const again = await run(sqlFailover, MODES, p.context())
    assert.deepEqual(
      again.plan.changes.map((c) => c.summary),
      ['already primary: SQL-ONPREM-2 AVAILABILITY_MODE SYNCHRONOUS_COMMIT → ASYNCHRONOUS_COMMIT'],
    )
    assert.equal(modesOf(p.world)['SQL-ONPREM-2'], 'ASYNCHRONOUS_COMMIT MANUAL')
    await implementation.compensate?.(p.context().ctx, params, t.undo)
    assert.equal(primaryOf(p.world), 'SQL-ONPREM-1')
    assert.deepEqual(modesOf(p.world), {
      'SQL-ONPREM-1': 'SYNCHRONOUS_COMMIT AUTOMATIC',
      'SQL-ONPREM-2': 'SYNCHRONOUS_COMMIT AUTOMATIC',
      'SQL-AWS-1': 'ASYNCHRONOUS_COMMIT MANUAL',
    })
  })

  test('a replica the group does not have is refused before anything changes', async () => {
    const p = await seededPlatform()
    await assert.rejects(
      run(sqlFailover, { ...FAILOVER, modes_after: { 'SQL-AWS-9': { failover: 'manual' } } }, p.context()),
      /modes_after names SQL-AWS-9, which is not a replica of AG-GIFTCARD/,
    )
    assert.equal(primaryOf(p.world), 'SQL-ONPREM-1')
  })
})

describe('sql.wait-sync under an asynchronous primary', () => {
  test('a synchronous replica of an asynchronous primary is waited for by its queues, with the reason as a warning', async () => {
    const p = await seededPlatform()
    // Failover mode first: SQL Server refuses asynchronous commit with automatic failover.
    await p.exec(
      'SQL-ONPREM-1',
      "ALTER AVAILABILITY GROUP [AG-GIFTCARD] MODIFY REPLICA ON N'SQL-ONPREM-1' WITH (FAILOVER_MODE = MANUAL)",
    )
    await p.exec(
      'SQL-ONPREM-1',
      "ALTER AVAILABILITY GROUP [AG-GIFTCARD] MODIFY REPLICA ON N'SQL-ONPREM-1' WITH (AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT)",
    )
    let polls = 0
    const t = p.context({
      sleep: async () => {
        if (++polls > 20) throw new Error('still waiting after 20 polls: it would wait forever')
      },
    })
    const { outputs } = await run(
      sqlWaitSync,
      { ag: AG, primary: 'sql-onprem', replica: 'sql-onprem-2', poll: '50ms' },
      t,
    )
    assert.equal(outputs.mode, 'SYNCHRONOUS_COMMIT')
    assert.equal(outputs.commit, 'asynchronous')
    assert.match(
      t.warnings.join('\n'),
      /SQL-ONPREM-2 is SYNCHRONOUS_COMMIT but the primary SQL-ONPREM-1 is ASYNCHRONOUS_COMMIT, so commits do not wait for SQL-ONPREM-2/,
    )
  })
})
