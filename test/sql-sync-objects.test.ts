// sql.sync-objects copies what lives outside the databases (logins with their SIDs and password hashes, Agent jobs,
// linked servers) to the new replica, lists what only an operator can do (credentials, remote passwords), and undoes
// only what it created. The stand-in reads CREATE LOGIN and msdb's procedures as SQL Server does, with its errors.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { after, describe, test } from 'node:test'
import type sql from 'mssql'
import { SqlDryRunViolation } from '../src/clients/sql.ts'
import { stepScope } from '../src/clients/step-scope.ts'
import type { Target } from '../src/runbook/model.ts'
import {
  demoSqlWorld,
  SQL_SERVER_BUILDS,
  type SqlSandbox,
  type SqlServerRelease,
  type SqlWorld,
  startSqlSandbox,
} from '../src/sandbox/sql/index.ts'
import type { StepImplementation } from '../src/steps/contract.ts'
import { type SyncObjectsParams, sqlSyncObjects } from '../src/steps/sql/sync-objects.ts'
import { judge } from '../src/steps/sql/sync-objects-plan.ts'
import type { LoginObject, ServerObjects } from '../src/steps/sql/sync-objects-read.ts'
import { allBytes, startSwitchyard, tempDir, writeRunbook } from './helpers/cli.ts'
import { sandboxPool } from './helpers/sql-pool.ts'
import { createStepContext, type TestStepContext } from './helpers/step-context.ts'

const PASSWORD = 'Objects-outside-2024!'
/** The demo world's giftcard_app password (src/sandbox/sql/demo.ts). */
const APP_PASSWORD = 'Sandbox-app-login-1!'
const SOURCE = 'SQL-ONPREM-1'
const REPLICA = 'SQL-AWS-1'

interface Platform {
  world: SqlWorld
  sandbox: SqlSandbox
  targets: Record<string, Target>
  context(options?: { checkpoints?: unknown[] }): TestStepContext
  pool(instance: string, login?: { user: string; password: string }): Promise<sql.ConnectionPool>
  close(): Promise<void>
}

const open: Platform[] = []
after(() => Promise.all(open.map((p) => p.close())))

async function platform(release: SqlServerRelease = 2022): Promise<Platform> {
  const world = demoSqlWorld({ password: PASSWORD, release })
  const sandbox = await startSqlSandbox({ world })
  const target = (name: string): Target => ({
    sql: { ...sandbox.target(name, { password: PASSWORD }), request_timeout: '5s', connect_timeout: '3s' },
  })
  const targets = { 'sql-onprem': target(SOURCE), 'sql-aws': target(REPLICA) }
  const contexts: TestStepContext[] = []
  const pools: sql.ConnectionPool[] = []
  const p: Platform = {
    world,
    sandbox,
    targets,
    context: (o = {}) => {
      const t = createStepContext({ workdir: process.cwd(), targets, secrets: [PASSWORD], ...o })
      contexts.push(t)
      return t
    },
    pool: async (instance, login) => {
      const pool = sandboxPool(sandbox, instance, login?.password ?? PASSWORD, {
        ...(login ? { user: login.user } : {}),
        pool: { max: 1 },
        options: { encrypt: true, trustServerCertificate: true },
      })
      pools.push(pool)
      return pool.connect()
    },
    close: async () => {
      await Promise.all([...contexts.map((c) => c.close()), ...pools.map((pool) => pool.close())])
      await sandbox.close()
    },
  }
  open.push(p)
  return p
}

const BASE = { source: 'sql-onprem', replica: 'sql-aws' }

async function implementation(raw: Record<string, unknown>) {
  const params = sqlSyncObjects.params.parse({ ...BASE, ...raw }) as SyncObjectsParams
  const step = (await sqlSyncObjects.load()) as StepImplementation<SyncObjectsParams>
  return { params, step }
}

async function planAndApply(p: Platform, raw: Record<string, unknown> = {}, t = p.context()) {
  const { params, step } = await implementation(raw)
  const plan = await step.plan(t.ctx, params)
  const outputs = await step.apply(t.ctx, params, plan)
  return { plan, outputs, t, params, step }
}

/** Every password hash of the source as hex: none may appear in any output. */
function sourceHashes(world: SqlWorld): string[] {
  return [...world.instance(SOURCE).logins.values()].flatMap((l) =>
    l.passwordHash ? [l.passwordHash.toString('hex'), l.passwordHash.toString('hex').toUpperCase()] : [],
  )
}

/** The replica's logins as SQL Server shows them: what a rollback must leave exactly as it found. */
const loginsOf = (world: SqlWorld, instance: string) =>
  [...world.instance(instance).logins.values()]
    .map((l) => ({
      name: l.name,
      sid: l.sid.toString('hex'),
      hash: l.passwordHash?.toString('hex') ?? null,
      disabled: l.disabled,
      roles: [...l.serverRoles],
    }))
    .sort((a, b) => a.name.localeCompare(b.name))

const sqlError = (number: number) => (error: unknown) => (error as { number?: number }).number === number

describe('the stand-in keeps logins, jobs and linked servers as SQL Server does', () => {
  test('CREATE LOGIN and the msdb and linked-server procedures fail with SQL Server numbers: 15025, 15433, 15419, 15021, 14261, 2812, 15170, 15028, 15427, 15428, 15190', async () => {
    const p = await platform()
    const pool = await p.pool(REPLICA)
    const run = (text: string) => pool.request().query(text)
    const hash = `0x${p.world.instance(SOURCE).logins.get('giftcard_app')?.passwordHash?.toString('hex')}`
    await run(`CREATE LOGIN [copy] WITH PASSWORD = ${hash} HASHED, SID = 0x000102030405060708090A0B0C0D0E0F`)
    await assert.rejects(run(`CREATE LOGIN [copy] WITH PASSWORD = N'Other-1234!'`), sqlError(15025))
    await assert.rejects(
      run(`CREATE LOGIN [copy2] WITH PASSWORD = ${hash} HASHED, SID = 0x000102030405060708090A0B0C0D0E0F`),
      sqlError(15433),
    )
    await assert.rejects(
      run(`CREATE LOGIN [copy3] WITH PASSWORD = ${hash} HASHED, SID = 0x01`),
      sqlError(15419),
    )
    await assert.rejects(run('CREATE LOGIN [copy4] WITH PASSWORD = 0x0200AB HASHED'), sqlError(15021))
    await run(`EXEC msdb.dbo.sp_add_job @job_name = N'nightly', @owner_login_name = N'copy'`)
    await assert.rejects(run(`EXEC msdb.dbo.sp_add_job @job_name = N'NIGHTLY'`), sqlError(14261))
    await assert.rejects(run(`EXEC sp_add_job @job_name = N'from master'`), sqlError(2812))
    await assert.rejects(run('DROP LOGIN [copy]'), sqlError(15170))
    await run(`EXEC master.dbo.sp_addlinkedserver @server = N'PAYMENTS', @srvproduct = N'SQL Server'`)
    await assert.rejects(
      run(`EXEC sp_addlinkedserver @server = N'payments', @srvproduct = N''`),
      sqlError(15028),
    )
    await assert.rejects(
      run(`EXEC sp_addlinkedserver @server = N'OTHER', @srvproduct = N''`),
      sqlError(15427),
    )
    await assert.rejects(
      run(`EXEC sp_addlinkedserver @server = N'OTHER', @srvproduct = N'SQL Server', @datasrc = N'x'`),
      sqlError(15428),
    )
    await assert.rejects(run(`EXEC sp_dropserver @server = N'PAYMENTS'`), sqlError(15190))
    await run(`EXEC msdb.dbo.sp_delete_job @job_name = N'nightly'`)
    await run('DROP LOGIN [copy]')
    await run(`EXEC sp_dropserver @server = N'PAYMENTS', @droplogins = 'droplogins'`)
  })

  test('a login copied with its hash and SID connects with its own password; a disabled one cannot', async () => {
    const p = await platform()
    const source = p.world.instance(SOURCE).logins.get('giftcard_app')
    assert.ok(source?.passwordHash)
    const pool = await p.pool(REPLICA)
    await pool
      .request()
      .query(
        `CREATE LOGIN [giftcard_app] WITH PASSWORD = 0x${source.passwordHash.toString('hex')} HASHED, SID = 0x${source.sid.toString('hex')}`,
      )
    const app = await p.pool(REPLICA, { user: 'giftcard_app', password: APP_PASSWORD })
    const [row] = (await app.request().query('SELECT SUSER_SNAME() AS me')).recordset
    assert.equal(row?.me, 'giftcard_app')
    await pool.request().query('ALTER LOGIN [giftcard_app] DISABLE')
    await assert.rejects(p.pool(REPLICA, { user: 'giftcard_app', password: APP_PASSWORD }), /Login failed/)
  })

  test('only CONTROL SERVER reads password hashes: sys.sql_logins and LOGINPROPERTY show another login none', async () => {
    const p = await platform()
    const app = await p.pool(SOURCE, { user: 'giftcard_app', password: APP_PASSWORD })
    const rows = (await app.request().query('SELECT name, password_hash FROM sys.sql_logins')).recordset
    assert.deepEqual(rows, [{ name: 'giftcard_app', password_hash: null }])
    const asApp = await app.request().query(`SELECT LOGINPROPERTY('giftcard_app', 'PasswordHash') AS h`)
    assert.equal(asApp.recordset[0]?.h, null)
    const admin = await p.pool(SOURCE)
    const asAdmin = await admin.request().query(`SELECT LOGINPROPERTY('giftcard_app', 'PasswordHash') AS h`)
    assert.deepEqual(
      asAdmin.recordset[0]?.h,
      p.world.instance(SOURCE).logins.get('giftcard_app')?.passwordHash,
    )
  })

  for (const release of Object.keys(SQL_SERVER_BUILDS).map(Number) as SqlServerRelease[])
    test(`SQL Server ${release} answers the catalog views and msdb tables the step reads`, async () => {
      const p = await platform(release)
      const pool = await p.pool(SOURCE)
      const count = async (from: string) =>
        (await pool.request().query(`SELECT COUNT(*) AS n FROM ${from}`)).recordset[0]?.n as number
      assert.equal(await count('sys.sql_logins'), 5, 'sa, migrator and three app logins')
      assert.equal(await count('sys.server_role_members'), 3)
      assert.equal(await count('msdb.dbo.sysjobs'), 2)
      assert.equal(await count('msdb.dbo.sysjobsteps'), 3)
      assert.equal(await count('msdb.dbo.sysjobschedules'), 2)
      assert.equal(await count('sys.linked_logins'), 2)
      assert.equal(await count('sys.credentials'), 1)
    })
})

describe('sql.sync-objects', () => {
  test('plan lists each object it will create and the chores left to the operator, never a password hash', async () => {
    const p = await platform()
    const t = p.context()
    const { params, step } = await implementation({})
    const plan = await step.plan(t.ctx, params)
    const lines = plan.changes.map((c) => `${c.action} ${c.target}`)
    assert.deepEqual(lines, [
      'create login giftcard_app',
      'create login giftcard_ops',
      'create login GIFTCARD\\svc-giftcard-web',
      'create login legacy_batch',
      'create linked server PAYMENTS',
      'manual linked server PAYMENTS',
      'create Agent job GiftCard - expire balances',
      'create Agent job GiftCard - index maintenance',
      'manual credential BackupToUrl',
    ])
    const app = plan.changes[0]?.summary ?? ''
    const sid = p.world.instance(SOURCE).logins.get('giftcard_app')?.sid.toString('hex').toUpperCase()
    assert.match(app, new RegExp(`SID 0x${sid} and the source's password hash`))
    assert.match(plan.changes[1]?.summary ?? '', /roles dbcreator/)
    assert.match(plan.changes[3]?.summary ?? '', /policy OFF.*disabled/)
    assert.match(
      plan.changes[5]?.summary ?? '',
      /map giftcard_app to remote user gc_reader .*never returns a remote password/,
    )
    const text = JSON.stringify(plan)
    for (const hash of sourceHashes(p.world)) assert.ok(!text.includes(hash), 'no password hash in the plan')
  })

  test('a dry run creates nothing: apply is refused before anything is sent', async () => {
    const p = await platform()
    const before = loginsOf(p.world, REPLICA)
    const t = p.context()
    const { params, step } = await implementation({})
    const scope = { step: 'sync', dryRun: true, progress: () => {} }
    const plan = await stepScope.run(scope, () => step.plan(t.ctx, params))
    await assert.rejects(
      stepScope.run(scope, () => step.apply(t.ctx, params, plan)),
      (error) => error instanceof SqlDryRunViolation,
    )
    assert.deepEqual(loginsOf(p.world, REPLICA), before)
    assert.equal(p.world.instance(REPLICA).serverObjects.jobs.length, 0)
  })

  test('apply creates them as on the source: the app connects to the replica with its password, jobs keep steps and schedules', async () => {
    const p = await platform()
    const { outputs, t } = await planAndApply(p)
    assert.deepEqual(outputs.created, {
      logins: ['giftcard_app', 'giftcard_ops', 'GIFTCARD\\svc-giftcard-web', 'legacy_batch'],
      jobs: ['GiftCard - expire balances', 'GiftCard - index maintenance'],
      linked_servers: ['PAYMENTS'],
    })
    const source = loginsOf(p.world, SOURCE).filter((l) => l.name !== 'sa')
    const replica = loginsOf(p.world, REPLICA).filter((l) => l.name !== 'sa')
    assert.deepEqual(replica, source, 'same SIDs, hashes, roles and disabled state')
    const app = await p.pool(REPLICA, { user: 'giftcard_app', password: APP_PASSWORD })
    assert.equal((await app.request().query('SELECT SUSER_SNAME() AS me')).recordset[0]?.me, 'giftcard_app')

    const jobs = p.world.instance(REPLICA).serverObjects
    const maintenance = jobs.jobs.find((j) => j.name === 'GiftCard - index maintenance')
    assert.deepEqual(
      maintenance?.steps.map((s) => [s.id, s.name, s.onSuccessAction]),
      [
        [1, 'rebuild', 3],
        [2, 'statistics', 1],
      ],
    )
    assert.deepEqual(maintenance?.serverIds, [0], 'targeted at the local server, so Agent runs it')
    assert.deepEqual(jobs.schedules.map((s) => s.name).sort(), ['nightly 01:00', 'sundays 03:00'])
    assert.deepEqual(jobs.credentials, [], 'credentials are left to the operator')
    assert.deepEqual(outputs.manual, [
      'map giftcard_app to remote user gc_reader on linked server PAYMENTS with its password (sp_addlinkedsrvlogin): SQL Server never returns a remote password',
      'create credential BackupToUrl (identity giftcardbackups) with its secret: SQL Server never returns a secret',
    ])
    const said = JSON.stringify([outputs, t.progress, t.warnings, t.undo, t.checkpoints])
    for (const hash of sourceHashes(p.world))
      assert.ok(!said.includes(hash), 'no password hash in outputs or journal data')

    const again = await implementation({})
    const replan = await again.step.plan(p.context().ctx, again.params)
    assert.deepEqual(
      replan.changes.map((c) => c.action),
      ['manual', 'manual'],
      'a second plan has nothing left to create',
    )
  })

  test('include and exclude pick objects by name; kinds picks what is copied', async () => {
    const p = await platform()
    const { outputs } = await planAndApply(p, {
      kinds: ['logins'],
      include: ['giftcard_*'],
      exclude: ['*OPS'],
    })
    assert.deepEqual(outputs.created, { logins: ['giftcard_app'], jobs: [], linked_servers: [] })
    assert.deepEqual(outputs.manual, [])
  })

  test('an object the replica has with another definition is skipped with a warning; on_conflict: fail stops before creating anything', async () => {
    const p = await platform()
    const pool = await p.pool(REPLICA)
    await pool.request().query(`CREATE LOGIN [giftcard_ops] WITH PASSWORD = N'Someone-else-1!'`)
    const failing = await implementation({ on_conflict: 'fail' })
    const t = p.context()
    await assert.rejects(
      failing.step.precondition?.(t.ctx, failing.params) ?? Promise.reject(new Error('none')),
      /giftcard_ops \(SID/,
    )
    await assert.rejects(failing.step.apply(t.ctx, failing.params, { changes: [] }), /another definition/)
    assert.equal(loginsOf(p.world, REPLICA).length, 3, 'sa, migrator and the conflicting login only')

    const { plan, outputs, t: skipping } = await planAndApply(p)
    assert.match(
      plan.changes.find((c) => c.target === 'login giftcard_ops')?.summary ?? '',
      /is on sql-aws with SID 0x\w+ \(source 0x\w+\), another password, roles none \(source dbcreator\): left as it is/,
    )
    assert.deepEqual(outputs.skipped, ['login giftcard_ops'])
    assert.ok(skipping.warnings.some((w) => /giftcard_ops is on sql-aws/.test(w)))
  })

  test('a source login that cannot read password hashes copies no SQL login, and says why', async () => {
    const p = await platform()
    const admin = await p.pool(SOURCE)
    await admin.request().query(`CREATE LOGIN [reader] WITH PASSWORD = N'Reader-only-2024!'`)
    const t = createStepContext({
      workdir: process.cwd(),
      targets: {
        ...p.targets,
        'sql-onprem': {
          sql: { ...p.sandbox.target(SOURCE, { user: 'reader', password: 'Reader-only-2024!' }) },
        },
      },
    })
    try {
      const { params, step } = await implementation({ kinds: ['logins'] })
      const plan = await step.plan(t.ctx, params)
      assert.deepEqual(plan.changes, [
        {
          action: 'skip',
          target: 'login reader',
          summary:
            'login reader is left out: the source shows no password hash for it (the source login needs CONTROL SERVER, e.g. sysadmin)',
        },
      ])
    } finally {
      await t.close()
    }
  })

  test('a login in a server role the replica lacks (a user-defined one) is left out, naming the role', () => {
    const login: LoginObject = {
      kind: 'login',
      name: 'report_runner',
      type: 'WINDOWS_LOGIN',
      sid: '0x01',
      passwordHash: null,
      disabled: false,
      defaultDatabase: 'master',
      defaultLanguage: 'us_english',
      checkPolicy: false,
      checkExpiration: false,
      roles: ['dbcreator', 'report_readers'],
    }
    const empty: ServerObjects = { logins: [], serverRoles: [], jobs: [], linkedServers: [], credentials: [] }
    const [verdict] = judge(
      { source: 's', replica: 'r' },
      { ...empty, logins: [login], serverRoles: ['dbcreator', 'report_readers'] },
      { ...empty, serverRoles: ['public', 'sysadmin', 'dbcreator'] },
      'SQL-ONPREM-1',
    )
    assert.deepEqual(verdict, {
      object: login,
      verdict: 'blocked',
      reason: 'server role report_readers is not on the replica',
    })
  })

  test('a job whose owner is neither on the replica nor copied is left out with a warning', async () => {
    const p = await platform()
    const { outputs, t } = await planAndApply(p, { kinds: ['logins', 'jobs'], exclude: ['giftcard_ops'] })
    assert.deepEqual(outputs.created.jobs, ['GiftCard - index maintenance'])
    assert.deepEqual(outputs.skipped, ['Agent job GiftCard - expire balances'])
    assert.ok(
      t.warnings.some((w) =>
        /GiftCard - expire balances is left out: its owner giftcard_ops is not on the replica/.test(w),
      ),
    )
  })

  test('compensate removes exactly what it created and leaves what was there before', async () => {
    const p = await platform()
    const pool = await p.pool(REPLICA)
    const source = p.world.instance(SOURCE).logins.get('giftcard_app')
    assert.ok(source?.passwordHash)
    await pool
      .request()
      .query(
        `CREATE LOGIN [giftcard_app] WITH PASSWORD = 0x${source.passwordHash.toString('hex')} HASHED, SID = 0x${source.sid.toString('hex')}, DEFAULT_DATABASE = [GiftCard]`,
      )
    const before = loginsOf(p.world, REPLICA)
    const { t, params, step } = await planAndApply(p)
    assert.ok(
      !t.undo.some((u) => (u as { name: string }).name === 'giftcard_app'),
      'what was there is not recorded',
    )
    assert.deepEqual(step.describeUndo?.(params, t.undo).slice(0, 3), [
      'remove Agent job GiftCard - index maintenance from sql-aws (created by this run)',
      'remove Agent job GiftCard - expire balances from sql-aws (created by this run)',
      'remove linked server PAYMENTS from sql-aws (created by this run)',
    ])
    await step.compensate?.(p.context().ctx, params, t.undo)
    assert.deepEqual(loginsOf(p.world, REPLICA), before)
    const objects = p.world.instance(REPLICA).serverObjects
    assert.deepEqual([objects.jobs, objects.schedules, objects.linkedServers], [[], [], []])
  })

  test('a re-run after a crash creates nothing twice, and remakes the half-made job that run began', async () => {
    const p = await platform()
    const pool = await p.pool(REPLICA)
    // The crashed attempt: logins created, then the first job added without its steps
    const first = await planAndApply(p, { kinds: ['logins'] })
    await pool
      .request()
      .query(
        `EXEC msdb.dbo.sp_add_job @job_name = N'GiftCard - expire balances', @owner_login_name = N'giftcard_ops'`,
      )
    const checkpoints = [...first.t.checkpoints, { creating: 'job:giftcard - expire balances' }]
    const { outputs, t } = await planAndApply(p, {}, p.context({ checkpoints }))
    assert.deepEqual(outputs.created, {
      logins: ['giftcard_app', 'giftcard_ops', 'GIFTCARD\\svc-giftcard-web', 'legacy_batch'],
      jobs: ['GiftCard - expire balances', 'GiftCard - index maintenance'],
      linked_servers: ['PAYMENTS'],
    })
    assert.ok(!t.undo.some((u) => (u as { kind: string }).kind === 'login'), 'no login was created again')
    const job = p.world
      .instance(REPLICA)
      .serverObjects.jobs.find((j) => j.name === 'GiftCard - expire balances')
    assert.deepEqual(
      job?.steps.map((s) => s.name),
      ['expire'],
    )
    assert.equal(job?.scheduleIds.length, 1)
  })
})

test('through the CLI: plan shows the objects and no hash; a run cut off midway creates each once on its retry; rollback removes exactly those', async () => {
  const scratch = tempDir('sql-sync-objects')
  const world = demoSqlWorld({ password: PASSWORD })
  const sandbox = await startSqlSandbox({ world })
  try {
    const server = (name: string) => `${sandbox.instances[name]?.host},${sandbox.instances[name]?.port}`
    const dir = `${scratch.dir}/objects`
    mkdirSync(dir)
    writeRunbook(
      dir,
      `version: 1
name: sql-objects
secrets:
  sqlPassword: { from: env:SQL_PASSWORD }
x-login: &login { user: migrator, password: "\${{ secrets.sqlPassword }}", encrypt: false, trust_server_certificate: true }
targets:
  sql-onprem: { sql: { server: "${server(SOURCE)}", <<: *login } }
  sql-aws:    { sql: { server: "${server(REPLICA)}", <<: *login } }
phases:
  - id: replicate
    steps:
      - id: objects
        uses: sql.sync-objects
        retry: { attempts: 2, backoff: 10ms }
        with: { source: sql-onprem, replica: sql-aws, exclude: [legacy_*] }
`,
    )
    const env = { SQL_PASSWORD: PASSWORD }
    const cli = (args: string[]) => startSwitchyard(dir, args, env).done
    const before = loginsOf(world, REPLICA)
    const plan = await cli(['plan', 'runbook.yaml'])
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.match(
      plan.stdout,
      /create SQL login giftcard_app with SID 0x[0-9A-F]{32} and the source's password hash/,
    )
    assert.match(plan.stdout, /create Agent job GiftCard - index maintenance/)
    assert.match(plan.stdout, /credential BackupToUrl \(identity giftcardbackups\) with its secret/)
    assert.doesNotMatch(plan.stdout, /legacy_batch/)
    const json = await cli(['plan', 'runbook.yaml', '--json'])
    assert.equal(json.code, 0, json.stderr)
    assert.match(json.stdout, /"action":\s*"manual"/)

    // The first job's batch loses its connection before SQL Server runs it: the second attempt finds the logins and
    // the linked server in place, and creates nothing twice (sp_add_job would fail with 14261)
    world.dropConnectionOn('sp_add_job', 1, REPLICA)
    const run = await cli(['run', 'runbook.yaml', '--yes'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /replicate\.objects started \(attempt 2 of 2\)/)
    assert.deepEqual(
      world.instance(REPLICA).serverObjects.jobs.map((j) => j.name),
      ['GiftCard - expire balances', 'GiftCard - index maintenance'],
    )
    assert.deepEqual(
      loginsOf(world, REPLICA).map((l) => l.name),
      ['giftcard_app', 'giftcard_ops', 'GIFTCARD\\svc-giftcard-web', 'migrator', 'sa'],
    )
    const preview = await cli(['rollback', '--to', 'start', '--dry-run'])
    assert.match(
      preview.stdout,
      /remove Agent job GiftCard - index maintenance from sql-aws \(created by this run\)[\s\S]*remove login giftcard_app from sql-aws \(created by this run\)/,
    )
    assert.deepEqual(loginsOf(world, REPLICA).length, 5, 'a rollback dry run removes nothing')
    const back = await cli(['rollback', '--to', 'start'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.deepEqual(loginsOf(world, REPLICA), before, 'the replica has exactly the logins it had')
    assert.deepEqual(world.instance(REPLICA).serverObjects.jobs, [])
    assert.deepEqual(world.instance(REPLICA).serverObjects.linkedServers, [])

    const everything = [
      plan.stdout,
      plan.stderr,
      json.stdout,
      preview.stdout,
      run.stdout,
      run.stderr,
      back.stdout,
      allBytes(`${dir}/.switchyard`),
    ]
    for (const hash of sourceHashes(world))
      assert.ok(
        !everything.some((text) => text.includes(hash)),
        'no password hash in any output or the journal',
      )
  } finally {
    await sandbox.close()
    scratch.cleanup()
  }
})
