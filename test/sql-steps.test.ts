// The SQL Server step types, driven through the real mssql client against the sandbox's TDS servers,
// each a fresh gift-card world: SQL-ONPREM-1 primary, SQL-ONPREM-2 synchronous secondary, SQL-AWS-1
// a node of the same cluster that is not yet a replica.
import assert from 'node:assert/strict'
import { type AddressInfo, createServer } from 'node:net'
import { after, describe, test } from 'node:test'
import { mssqlConfig, SqlDryRunViolation } from '../src/clients/sql.ts'
import { stepScope } from '../src/clients/step-scope.ts'
import type { Target } from '../src/runbook/model.ts'
import { demoSqlWorld, type SqlSandbox, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import { sqlAddReplica } from '../src/steps/sql/add-replica.ts'
import { sqlFailover } from '../src/steps/sql/failover.ts'
import { quoteName } from '../src/steps/sql/identifiers.ts'
import { sqlPreflight } from '../src/steps/sql/preflight.ts'
import { compareLsn } from '../src/steps/sql/queries.ts'
import { sqlSeedReplica } from '../src/steps/sql/seed-replica.ts'
import { sqlWaitSync } from '../src/steps/sql/wait-sync.ts'
import { waitUntil } from './helpers/cli.ts'
import { createStepContext, type TestStepContext } from './helpers/step-context.ts'
import { run, step } from './helpers/step-run.ts'

const PASSWORD = 'Seed-and-switch-2024!'
const AG = 'AG-GIFTCARD'
const MB = 1024 * 1024
const LISTENER_IP = { listener: 'giftcard-lsn', ip: '10.20.1.50', mask: '255.255.255.0' }
const ADD = {
  ag: AG,
  primary: 'sql-onprem',
  replica: 'sql-aws',
  endpoint_url: 'TCP://sql-aws-1.giftcard.local:5022',
  listener_ip: LISTENER_IP,
}

interface Platform {
  world: SqlWorld
  sandbox: SqlSandbox
  targets: Record<string, Target>
  /** A step context with the platform's targets; closed with the platform. */
  context(options?: {
    checkpoints?: unknown[]
    approve?: () => Promise<{ operator: string; reason: string }>
  }): TestStepContext
  close(): Promise<void>
}

const open: Platform[] = []
after(() => Promise.all(open.map((p) => p.close())))

async function platform(options: { seedingBytesPerSecond?: number } = {}): Promise<Platform> {
  const world = demoSqlWorld({
    password: PASSWORD,
    seedingBytesPerSecond: options.seedingBytesPerSecond ?? 4000 * MB,
    synchronizeAfterMs: 150,
  })
  const sandbox = await startSqlSandbox({ world })
  const sqlTarget = (name: string, password = PASSWORD): Target => ({
    sql: { ...sandbox.target(name, { password }), request_timeout: '5s', connect_timeout: '3s' },
  })

  const targets: Record<string, Target> = {
    'sql-onprem': sqlTarget('SQL-ONPREM-1'),
    'sql-onprem-2': sqlTarget('SQL-ONPREM-2'),
    'sql-aws': sqlTarget('SQL-AWS-1'),
    'sql-aws-wrong': sqlTarget('SQL-AWS-1', 'not-the-password'),
    listener: { sql: { ...(sqlTarget('SQL-ONPREM-1').sql as NonNullable<Target['sql']>), listener: true } },
    nowhere: {
      sql: {
        server: '127.0.0.1,1',
        user: 'migrator',
        password: PASSWORD,
        encrypt: false,
        connect_timeout: '2s',
      },
    },
  }
  const contexts: TestStepContext[] = []
  const p: Platform = {
    world,
    sandbox,
    targets,
    context: (o = {}) => {
      const ctx = createStepContext({
        workdir: process.cwd(),
        targets,
        secrets: [PASSWORD],
        ...(o.checkpoints ? { checkpoints: o.checkpoints } : {}),
        ...(o.approve ? { approve: o.approve } : {}),
      })
      contexts.push(ctx)
      return ctx
    },
    close: async () => {
      await Promise.all(contexts.map((c) => c.close()))
      await sandbox.close()
    },
  }
  open.push(p)
  return p
}

const messages = (t: TestStepContext) => t.progress.map((p) => p.message ?? '').join('\n')

async function withReplica(p: Platform) {
  await run(sqlAddReplica, ADD, p.context())
}

const seedParams = (databases: string[], extra: Record<string, unknown> = {}) => ({
  ag: AG,
  primary: 'sql-onprem',
  replica: 'sql-aws',
  databases,
  seeding: 'automatic',
  poll: '50ms',
  ...extra,
})

describe('sql.preflight', () => {
  test('the demo world passes, with one line per check and per database', async () => {
    const p = await platform()
    const { outputs } = await run(
      sqlPreflight,
      { ag: AG, primary: 'sql-onprem', replica: 'sql-aws', databases: ['GiftCard', 'GiftCardAudit'] },
      p.context(),
    )
    const checks = outputs.checks as Array<{ check: string; on: string; status: string }>
    assert.equal(outputs.failures, 0)
    for (const name of [
      'Always On enabled',
      'version',
      'cluster',
      'primary role',
      'mirroring endpoint',
      'free space',
    ])
      assert.ok(
        checks.some((c) => c.check === name && c.status === 'pass'),
        `${name} passes`,
      )
    for (const db of ['GiftCard', 'GiftCardAudit'])
      for (const name of ['recovery model', 'log chain', 'full backup', 'absent on the replica'])
        assert.ok(
          checks.some((c) => c.on === `database ${db}` && c.check === name && c.status === 'pass'),
          `${db} ${name}`,
        )
  })

  test('fails closed, listing every failing check: no backup, SIMPLE recovery, another major version', async () => {
    const p = await platform()
    const primary = p.world.instance('SQL-ONPREM-1')
    primary.databases.push(
      p.world.newDatabase(primary, { name: 'Loyalty', sizeBytes: 10 * MB, backedUp: false }),
    )
    primary.databases.push(
      p.world.newDatabase(primary, { name: 'Scratch', sizeBytes: 10 * MB, recoveryModel: 'SIMPLE' }),
    )
    p.world.instance('SQL-AWS-1').productVersion = '15.0.4385.2'
    const { params, implementation } = await step(sqlPreflight, {
      ag: AG,
      primary: 'sql-onprem',
      replica: 'sql-aws',
      databases: ['GiftCard', 'Loyalty', 'Scratch'],
    })
    const t = p.context()
    await assert.rejects(implementation.apply(t.ctx, params, { changes: [] }), (error: Error) => {
      assert.match(error.message, /check\(s\) failed/)
      assert.match(error.message, /major version 15 vs the primary's 16: .*distributed availability group/)
      assert.match(error.message, /database Loyalty: log chain: no full backup since FULL recovery/)
      assert.match(error.message, /database Scratch: recovery model: SIMPLE/)
      assert.doesNotMatch(error.message, /database GiftCard:/)
      return true
    })
  })
})

describe('sql.preflight endpoint URL', () => {
  test("the URL's port must be the endpoint's; an address this machine cannot reach is a warning", async () => {
    const p = await platform()
    const listener = createServer((socket) => socket.end())
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    const port = (listener.address() as AddressInfo).port
    const endpoint = p.world.instance('SQL-AWS-1').endpoint
    assert.ok(endpoint)
    endpoint.port = port
    const preflight = (url: string) =>
      run(
        sqlPreflight,
        { ag: AG, primary: 'sql-onprem', replica: 'sql-aws', databases: ['GiftCard'], endpoint_url: url },
        p.context(),
      )
    const checks = async (url: string) =>
      (await preflight(url)).outputs.checks as Array<{ check: string; status: string; detail: string }>

    const reached = await checks(`TCP://127.0.0.1:${port}`)
    assert.ok(reached.some((c) => c.check === 'endpoint reachable' && c.status === 'pass'))
    await assert.rejects(
      preflight(`TCP://127.0.0.1:${port + 1}`),
      new RegExp(`names port ${port + 1}, but the endpoint listens on ${port}`),
    )
    await new Promise((resolve) => listener.close(resolve))
    const refused = await checks(`TCP://127.0.0.1:${port}`)
    const warning = refused.find((c) => c.check === 'endpoint reachable')
    assert.equal(warning?.status, 'warn')
    assert.match(warning?.detail ?? '', /cannot be reached from this machine \(ECONNREFUSED\)/)
  })
})

describe('sql.add-replica', () => {
  test('without the listener IP for the AWS subnet the join fails with 19456 and says what to add', async () => {
    const p = await platform()
    const { listener_ip: _, ...withoutIp } = ADD
    await assert.rejects(run(sqlAddReplica, withoutIp, p.context()), (error: Error) => {
      assert.match(
        error.message,
        /could not join AG-GIFTCARD: no listener IP can be hosted on its subnet \(19456\)/,
      )
      assert.match(String((error as { hint?: string }).hint), /listener_ip/)
      return true
    })
  })

  test('adds the listener IP, the replica, joins it; plans nothing the second time; rollback removes it', async () => {
    const p = await platform()
    const t = p.context()
    const { plan, outputs } = await run(sqlAddReplica, ADD, t)
    assert.deepEqual(
      plan.changes.map((c) => c.action),
      ['update', 'create', 'update', 'update'],
    )
    assert.equal(plan.changes[0]?.manualUndo, true, 'a listener IP cannot be removed with T-SQL')
    assert.equal(outputs.replica, 'SQL-AWS-1')
    const group = p.world.group(AG)
    assert.ok(group?.replicas.some((r) => r.server === 'SQL-AWS-1' && r.joined && r.connected))
    assert.deepEqual(t.undo, [
      {
        replica: 'SQL-AWS-1',
        addedReplica: true,
        databasesBefore: [],
        listenerIp: { listener: 'giftcard-lsn', ip: '10.20.1.50' },
      },
    ])

    const again = await step(sqlAddReplica, ADD)
    assert.deepEqual((await again.implementation.plan(p.context().ctx, again.params)).changes, [])

    const back = p.context()
    await again.implementation.compensate?.(back.ctx, again.params, t.undo)
    assert.ok(!p.world.group(AG)?.replicas.some((r) => r.server === 'SQL-AWS-1'))
    assert.match(messages(back), /listener IP 10\.20\.1\.50 stays on giftcard-lsn: T-SQL cannot remove it/)
  })

  test('a replica outside the cluster is refused before anything changes', async () => {
    const p = await platform()
    p.world.instance('SQL-AWS-1').cluster = 'AWS-WSFC'
    await assert.rejects(
      run(sqlAddReplica, ADD, p.context()),
      /in cluster AWS-WSFC, outside AG-GIFTCARD's cluster GIFTCARD-WSFC/,
    )
    assert.ok(!p.world.group(AG)?.replicas.some((r) => r.server === 'SQL-AWS-1'))
  })
})

describe('sql.seed-replica', () => {
  test('seeds two databases automatically, with percent, bytes, throughput and ETA as progress', async () => {
    const p = await platform({ seedingBytesPerSecond: 1500 * MB })
    // The join starts both seeds; held until the step has planned, so a busy machine cannot finish one first.
    for (const db of ['GiftCard', 'GiftCardAudit']) p.world.stallSeed('SQL-AWS-1', db)
    await withReplica(p)
    const t = p.context()
    const { params, implementation } = await step(sqlSeedReplica, seedParams(['GiftCard', 'GiftCardAudit']))
    const plan = await implementation.plan(t.ctx, params)
    assert.equal(plan.changes.length, 2)
    for (const db of ['GiftCard', 'GiftCardAudit']) p.world.unstallSeed('SQL-AWS-1', db)
    const outputs = await implementation.apply(t.ctx, params, plan)
    const databases = outputs.databases as Record<string, { state: string }>
    assert.ok(['SYNCHRONIZING', 'SYNCHRONIZED'].includes(databases.GiftCard?.state ?? ''))
    assert.ok(['SYNCHRONIZING', 'SYNCHRONIZED'].includes(databases.GiftCardAudit?.state ?? ''))
    const bars = t.progress.filter((u) =>
      /GiftCard: \d+% [\d.]+ (MB|GB) of 2\.0 GB, [\d.]+ (MB|GB)\/s ETA/.test(u.message ?? ''),
    )
    assert.ok(bars.length > 0, `a progress bar for GiftCard in:\n${messages(t)}`)
    assert.ok(
      t.progress.some((u) => (u.percent ?? 0) > 0 && (u.percent ?? 0) < 100),
      'partial progress seen',
    )
    assert.equal(p.world.seedCount('SQL-AWS-1', 'GiftCard'), 1)
    assert.equal(p.world.seedCount('SQL-AWS-1', 'GiftCardAudit'), 1)
  })

  test('seeds a database manually: backup full + log to the share, restore, add, join', async () => {
    const p = await platform()
    await withReplica(p)
    const t = p.context()
    const { outputs } = await run(
      sqlSeedReplica,
      seedParams(['GiftCardReports'], {
        seeding: 'manual',
        backup_share: '\\\\fs01\\sqlbackup',
        secondaries: ['sql-onprem-2'],
      }),
      t,
    )
    assert.ok(
      ['SYNCHRONIZING', 'SYNCHRONIZED'].includes(
        (outputs.databases as Record<string, { state: string }>).GiftCardReports?.state ?? '',
      ),
    )
    assert.deepEqual(
      t.checkpoints.map((c) => {
        const { stage, on } = c as { stage: string; on?: string }
        return on ? `${stage} on ${on}` : stage
      }),
      [
        'full',
        'log',
        'restored-full',
        'restored-log',
        'restored-full on SQL-ONPREM-2',
        'restored-log on SQL-ONPREM-2',
        'joined',
        'joined on SQL-ONPREM-2',
      ],
    )
    assert.equal(p.world.seedCount('SQL-AWS-1', 'GiftCardReports'), 0, 'no automatic seed raced the restore')
    assert.ok(p.world.group(AG)?.databases.some((d) => d.name === 'GiftCardReports'))
  })

  test('rollback takes the database it added out of the AG and drops the copy it restored on the replica', async () => {
    const p = await platform()
    await withReplica(p)
    const t = p.context()
    const params = seedParams(['GiftCardReports'], {
      seeding: 'manual',
      backup_share: '\\\\fs01\\sqlbackup',
      secondaries: ['sql-onprem-2'],
    })
    await run(sqlSeedReplica, params, t)
    assert.deepEqual(t.undo, [
      {
        replica: 'SQL-AWS-1',
        seedingMode: 'AUTOMATIC',
        databases: [{ db: 'GiftCardReports', copyBefore: false, inGroupBefore: false }],
        secondaries: [{ target: 'sql-onprem-2', replica: 'SQL-ONPREM-2', copiesBefore: [] }],
      },
    ])
    const seeding = await step(sqlSeedReplica, params)
    await seeding.implementation.compensate?.(p.context().ctx, seeding.params, t.undo)
    assert.ok(!p.world.group(AG)?.databases.some((d) => d.name === 'GiftCardReports'))
    const primaryCopy = p.world.database(p.world.instance('SQL-ONPREM-1'), 'GiftCardReports')
    assert.equal(primaryCopy?.state, 'ONLINE', 'the primary keeps its database, out of the AG')
    assert.equal(primaryCopy?.ag, null)
    assert.equal(p.world.database(p.world.instance('SQL-AWS-1'), 'GiftCardReports'), undefined)
    assert.equal(
      p.world.database(p.world.instance('SQL-ONPREM-2'), 'GiftCardReports'),
      undefined,
      'the copy it restored on the other secondary is dropped too',
    )
  })

  test('removing the replica drops the copies automatic seeding brought, which SQL Server leaves RESTORING', async () => {
    const p = await platform({ seedingBytesPerSecond: 1500 * MB })
    const added = p.context()
    await run(sqlAddReplica, ADD, added)
    await run(sqlSeedReplica, seedParams(['GiftCard', 'GiftCardAudit']), p.context())
    const aws = p.world.instance('SQL-AWS-1')
    const freeBefore = aws.volumes.map((v) => v.availableBytes)
    assert.equal(p.world.database(aws, 'GiftCard')?.state, 'ONLINE')
    const replica = await step(sqlAddReplica, ADD)
    await replica.implementation.compensate?.(p.context().ctx, replica.params, added.undo)
    assert.deepEqual(
      aws.databases.map((d) => d.name),
      [],
    )
    assert.ok(
      aws.volumes.every((v, i) => v.availableBytes >= (freeBefore[i] ?? 0)),
      'the dropped copies gave their disk back',
    )
  })

  test("a failed seed is reported with SQL Server's reason and tried again", async () => {
    const p = await platform({ seedingBytesPerSecond: 1500 * MB })
    await withReplica(p)
    p.world.failNextSeed('SQL-AWS-1', 'GiftCard', 206, 10054)
    const t = p.context()
    await run(sqlSeedReplica, seedParams(['GiftCard']), t)
    assert.equal(p.world.seedCount('SQL-AWS-1', 'GiftCard'), 2)
    assert.match(
      messages(t),
      /seeding GiftCard to SQL-AWS-1 failed: .*\(target side\), SQL Server error 10054; trying again/,
    )
  })

  test('a seed that cannot succeed by trying again fails at once, with what to do', async () => {
    const p = await platform({ seedingBytesPerSecond: 1500 * MB })
    await withReplica(p)
    p.world.failNextSeed('SQL-AWS-1', 'GiftCard', 223)
    await assert.rejects(run(sqlSeedReplica, seedParams(['GiftCard']), p.context()), (error: Error) => {
      assert.match(error.message, /Database With Name Already Exists|failure state 223|target side/)
      assert.match(String((error as { hint?: string }).hint), /drop the stale RESTORING copy/)
      return true
    })
    assert.equal(p.world.seedCount('SQL-AWS-1', 'GiftCard'), 1)
  })

  test('a stalled seed is reported with where it stopped', async () => {
    const p = await platform({ seedingBytesPerSecond: 200 * MB })
    await withReplica(p)
    p.world.stallSeed('SQL-AWS-1', 'GiftCard')
    await assert.rejects(
      run(sqlSeedReplica, seedParams(['GiftCard'], { stall_after: '400ms' }), p.context()),
      /seeding GiftCard to SQL-AWS-1 stalled: no progress for 0s \(\d+% .* of 2\.0 GB/,
    )
  })

  test('a dropped connection while reading progress is read again; the seed still completes', async () => {
    const p = await platform({ seedingBytesPerSecond: 1500 * MB })
    await withReplica(p)
    p.world.dropConnectionOn('sys.dm_hadr_physical_seeding_stats', 2, 'SQL-ONPREM-1')
    const t = p.context()
    await run(sqlSeedReplica, seedParams(['GiftCardAudit']), t)
    assert.match(messages(t), /connection dropped|GiftCardAudit: SYNCHRONIZ/)
  })

  test('a name made to break out of its brackets stays one name', async () => {
    const p = await platform()
    await withReplica(p)
    const hostile = 'x]; DROP DATABASE y; --'
    const primary = p.world.instance('SQL-ONPREM-1')
    primary.databases.push(p.world.newDatabase(primary, { name: hostile, sizeBytes: 10 * MB }))
    primary.databases.push(p.world.newDatabase(primary, { name: 'y', sizeBytes: 10 * MB }))
    assert.equal(quoteName(hostile), '[x]]; DROP DATABASE y; --]')
    await run(sqlSeedReplica, seedParams([hostile]), p.context())
    assert.ok(
      p.world.group(AG)?.databases.some((d) => d.name === hostile),
      'the database with that name joined the AG',
    )
    assert.ok(p.world.database(primary, 'y'), 'database y is still there')
  })
})

describe('sql.wait-sync', () => {
  test('passes for an asynchronous replica under the queue limits; fails naming a replica that never catches up', async () => {
    const p = await platform()
    await withReplica(p)
    await run(sqlSeedReplica, seedParams(['GiftCard', 'GiftCardAudit']), p.context())
    const wait = await step(sqlWaitSync, { ag: AG, primary: 'sql-onprem', replica: 'sql-aws', poll: '50ms' })
    await wait.implementation.check?.(p.context().ctx, wait.params)

    const sync = await step(sqlWaitSync, { ag: AG, primary: 'sql-onprem', replica: 'sql-onprem-2' })
    p.world.neverSynchronize('SQL-ONPREM-2')
    await assert.rejects(
      sync.implementation.check?.(p.context().ctx, sync.params) ?? Promise.resolve(),
      /SQL-ONPREM-2 \(SYNCHRONOUS_COMMIT\) has not caught up: GiftCard SYNCHRONIZING, not SYNCHRONIZED/,
    )
  })
})

describe('sql.failover', () => {
  async function seeded() {
    const p = await platform()
    await withReplica(p)
    await run(sqlSeedReplica, seedParams(['GiftCard', 'GiftCardAudit']), p.context())
    return p
  }
  const FAILOVER = { ag: AG, primary: 'sql-onprem', to: 'sql-aws', poll: '50ms', sync_timeout: '5s' }

  test('fails over to AWS and back: synchronous first, the new primary verified, the modes restored', async () => {
    const p = await seeded()
    const t = p.context()
    const { plan, outputs } = await run(sqlFailover, FAILOVER, t)
    assert.match(plan.changes.map((c) => c.summary).join('\n'), /switch SQL-AWS-1 to synchronous commit/)
    assert.deepEqual(outputs.previous_primary, 'SQL-ONPREM-1')
    assert.deepEqual(outputs.primary, 'SQL-AWS-1')
    const group = p.world.group(AG)
    assert.equal(group?.replicas.find((r) => r.role === 'PRIMARY')?.server, 'SQL-AWS-1')
    const undo = t.undo[0] as { previousPrimary: string; modes: Record<string, { availability: string }> }
    assert.equal(undo.previousPrimary, 'SQL-ONPREM-1')
    assert.equal(undo.modes['SQL-AWS-1']?.availability, 'ASYNCHRONOUS_COMMIT')

    const { params, implementation } = await step(sqlFailover, FAILOVER)
    assert.deepEqual(
      (await implementation.plan(p.context().ctx, params)).changes,
      [],
      'already primary: nothing to do',
    )
    await implementation.compensate?.(p.context().ctx, params, t.undo)
    const back = p.world.group(AG)
    assert.equal(back?.replicas.find((r) => r.role === 'PRIMARY')?.server, 'SQL-ONPREM-1')
    assert.equal(
      back?.replicas.find((r) => r.server === 'SQL-AWS-1')?.availabilityMode,
      'ASYNCHRONOUS_COMMIT',
    )
  })

  test('fail-back is refused when it would lose data, naming what lags', async () => {
    const p = await seeded()
    const t = p.context()
    await run(sqlFailover, FAILOVER, t)
    p.world.neverSynchronize('SQL-ONPREM-1')
    const { params, implementation } = await step(sqlFailover, { ...FAILOVER, sync_timeout: '600ms' })
    await assert.rejects(
      implementation.compensate?.(p.context().ctx, params, t.undo) ?? Promise.resolve(),
      (error: Error) => {
        assert.match(error.message, /fail-back to SQL-ONPREM-1 refused: it would lose data/)
        assert.match(error.message, /GiftCard: SYNCHRONIZING, not SYNCHRONIZED/)
        return true
      },
    )
    assert.equal(
      p.world.group(AG)?.replicas.find((r) => r.role === 'PRIMARY')?.server,
      'SQL-AWS-1',
      'AWS stays primary',
    )
  })

  test('a target that never synchronizes is not failed over to; no forced failover without allow_data_loss', async () => {
    const p = await seeded()
    p.world.neverSynchronize('SQL-AWS-1')
    await assert.rejects(
      run(sqlFailover, { ...FAILOVER, sync_timeout: '500ms' }, p.context()),
      /SQL-AWS-1 is not SYNCHRONIZED after 500ms; no failover was attempted/,
    )
    assert.equal(p.world.group(AG)?.replicas.find((r) => r.role === 'PRIMARY')?.server, 'SQL-ONPREM-1')
  })

  test('allow_data_loss forces the failover only after an approval', async () => {
    const p = await seeded()
    p.world.neverSynchronize('SQL-AWS-1')
    const asked: string[] = []
    const t = p.context({
      approve: async () => {
        asked.push('asked')
        return { operator: 'dba', reason: 'on-prem datacenter lost' }
      },
    })
    await run(sqlFailover, { ...FAILOVER, sync_timeout: '300ms', allow_data_loss: true }, t)
    assert.deepEqual(asked, ['asked'])
    assert.equal(p.world.group(AG)?.replicas.find((r) => r.role === 'PRIMARY')?.server, 'SQL-AWS-1')
    assert.equal((t.undo.at(-1) as { forced: boolean }).forced, true)
  })

  test('a listener target is refused: a failover runs on the replica itself', async () => {
    const p = await seeded()
    await assert.rejects(
      run(sqlFailover, { ...FAILOVER, to: 'listener' }, p.context()),
      /listener is an availability group listener/,
    )
  })
})

describe('connections', () => {
  test('a wrong password names the target and the address, never the password', async () => {
    const p = await platform()
    await assert.rejects(
      run(
        sqlPreflight,
        { ag: AG, primary: 'sql-onprem', replica: 'sql-aws-wrong', databases: ['GiftCard'] },
        p.context(),
      ),
      (error: Error) => {
        assert.match(error.message, /^sql target sql-aws-wrong \(127\.0\.0\.1:\d+\): .*Login failed/)
        assert.doesNotMatch(`${error.message} ${error.stack}`, /not-the-password/)
        return true
      },
    )
  })

  test('one pool per target, however many steps use it; closed when the run ends', async () => {
    const p = await platform()
    const t = p.context()
    const connections = await Promise.all([
      t.ctx.sql('sql-onprem'),
      t.ctx.sql('sql-onprem'),
      t.ctx.sql('sql-aws'),
    ])
    await Promise.all(connections.map((c) => c.read('SELECT 1;')))
    await run(sqlPreflight, { ag: AG, primary: 'sql-onprem', replica: 'sql-aws', databases: ['GiftCard'] }, t)
    const sessions = (name: string) => p.sandbox.servers[name]?.sessions().length ?? -1
    assert.ok(sessions('SQL-ONPREM-1') >= 1 && sessions('SQL-ONPREM-1') <= 4, 'at most the pool size, reused')
    await t.close()
    // The server sees each close when its socket ends: that is the event waited for.
    await waitUntil(() => sessions('SQL-ONPREM-1') + sessions('SQL-AWS-1') === 0)
  })

  test('an address nothing listens on names the target, the address and the reason', async () => {
    const p = await platform()
    await assert.rejects(
      p.context().ctx.sql('nowhere'),
      /^SqlTargetError: sql target nowhere \(127\.0\.0\.1:1\): .*(ESOCKET|ECONNREFUSED|Failed to connect)/,
    )
  })

  test('in a dry run every read works and any change is refused before it is sent', async () => {
    const p = await platform()
    const t = p.context()
    const { params, implementation } = await step(sqlAddReplica, ADD)
    const scope = { step: 'add', dryRun: true, progress: () => {} }
    const plan = await stepScope.run(scope, () => implementation.plan(t.ctx, params))
    assert.equal(plan.changes.length, 4)
    await assert.rejects(
      stepScope.run(scope, () => implementation.apply(t.ctx, params, plan)),
      (error: Error) => error instanceof SqlDryRunViolation && /add a listener IP/.test(error.message),
    )
    assert.ok(!p.world.group(AG)?.replicas.some((r) => r.server === 'SQL-AWS-1'), 'nothing changed')
  })

  test("a target becomes the driver's settings: host,port, NTLM with a domain, multi-subnet for listeners, TLS on by default", () => {
    const base = { server: 'tcp:sql-aws-1.corp.example,14333', user: 'migrator', password: 'x' }
    const plain = mssqlConfig(base)
    assert.equal(plain.server, 'sql-aws-1.corp.example')
    assert.equal(plain.port, 14333)
    assert.equal(plain.options?.encrypt, true)
    assert.equal(plain.options?.trustServerCertificate, false)
    assert.equal(plain.options?.multiSubnetFailover, false)
    assert.equal(plain.database, 'master')
    const listener = mssqlConfig({ ...base, server: 'giftcard-lsn.corp.example', listener: true })
    assert.equal(listener.options?.multiSubnetFailover, true)
    assert.equal(listener.port, undefined)
    const ntlm = mssqlConfig({ ...base, domain: 'CORP' })
    assert.deepEqual(ntlm.authentication, {
      type: 'ntlm',
      options: { domain: 'CORP', userName: 'migrator', password: 'x' },
    })
    assert.equal(ntlm.user, undefined)
    const named = mssqlConfig({ ...base, server: 'sql01', instance: 'GIFT', request_timeout: '2m' })
    assert.equal(named.options?.instanceName, 'GIFT')
    assert.equal(named.requestTimeout, 120_000)
  })

  test('LSNs are compared exactly, beyond what a double can hold', () => {
    assert.equal(compareLsn('98000000123400001', '98000000123400002'), -1)
    assert.equal(
      Number('98000000123400001') === Number('98000000123400002'),
      true,
      'a float would call them equal',
    )
    assert.equal(compareLsn('98000000123400002', '98000000123400002'), 0)
  })
})
