// The SQL Server steps on each release switchyard supports (2016, 2017, 2019, 2022) and each AG cluster type
// (WSFC, EXTERNAL, NONE), through the real mssql client against the sandbox's TDS servers, whose catalog has
// each release's columns: what a step reads must exist on the release it talks to.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import {
  demoSqlWorld,
  type SqlSandbox,
  type SqlServerRelease,
  type SqlWorld,
  startSqlSandbox,
} from '../src/sandbox/sql/index.ts'
import type { StepDefinition, StepImplementation } from '../src/steps/contract.ts'
import { sqlAddReplica } from '../src/steps/sql/add-replica.ts'
import { sqlPreflight } from '../src/steps/sql/preflight.ts'
import { DEMO_ADD_REPLICA, DEMO_AG, demoSqlTargets } from './helpers/sql-demo.ts'
import { sandboxPool } from './helpers/sql-pool.ts'
import { createStepContext, type TestStepContext } from './helpers/step-context.ts'

const PASSWORD = 'Versions-and-types-2024!'
const AG = DEMO_AG
const RELEASES: SqlServerRelease[] = [2016, 2017, 2019, 2022]
const ADD = DEMO_ADD_REPLICA
const PREFLIGHT = { ag: AG, primary: 'sql-onprem', replica: 'sql-aws', databases: ['GiftCard'] }

interface Check {
  check: string
  on: string
  status: string
  detail: string
}

interface Platform {
  world: SqlWorld
  sandbox: SqlSandbox
  context(): TestStepContext
}

const closers: (() => Promise<void>)[] = []
after(() => Promise.all(closers.map((close) => close())))

async function platform(release: SqlServerRelease): Promise<Platform> {
  const world = demoSqlWorld({ password: PASSWORD, release, synchronizeAfterMs: 150 })
  const sandbox = await startSqlSandbox({ world })
  const targets = demoSqlTargets(sandbox, PASSWORD)
  const contexts: TestStepContext[] = []
  closers.push(async () => {
    await Promise.all(contexts.map((c) => c.close()))
    await sandbox.close()
  })
  return {
    world,
    sandbox,
    context: () => {
      const t = createStepContext({ workdir: process.cwd(), targets, secrets: [PASSWORD] })
      contexts.push(t)
      return t
    },
  }
}

async function run(definition: StepDefinition, raw: Record<string, unknown>, t: TestStepContext) {
  const params = definition.params.parse(raw)
  const implementation = (await definition.load()) as StepImplementation<unknown>
  const plan = await implementation.plan(t.ctx, params)
  const outputs = await implementation.apply(t.ctx, params, plan)
  return { plan, outputs }
}

/** The preflight report, whether it passed or refused (a refusal's checks are in its message). */
async function preflight(p: Platform, raw: Record<string, unknown> = PREFLIGHT) {
  try {
    const { outputs } = await run(sqlPreflight, raw, p.context())
    return { checks: outputs.checks as Check[], refused: undefined }
  } catch (error) {
    return { checks: undefined, refused: (error as Error).message }
  }
}

async function query(p: Platform, instance: string, sql: string) {
  const pool = sandboxPool(p.sandbox, instance, PASSWORD, {
    options: { trustServerCertificate: true },
  })
  await pool.connect()
  try {
    return (await pool.request().query(sql)).recordset
  } finally {
    await pool.close()
  }
}

describe('SQL Server versions', () => {
  test('SQL Server 2016 has no cluster_type_desc (Msg 207); 2017 and later say wsfc', async () => {
    const old = await platform(2016)
    await assert.rejects(
      query(old, 'SQL-ONPREM-1', 'SELECT cluster_type_desc FROM sys.availability_groups'),
      (error: { number?: number; message: string }) => {
        assert.equal(error.number, 207)
        assert.match(error.message, /Invalid column name 'cluster_type_desc'/)
        return true
      },
    )
    const newer = await platform(2017)
    const rows = await query(newer, 'SQL-ONPREM-1', 'SELECT cluster_type_desc FROM sys.availability_groups')
    assert.deepEqual(rows, [{ cluster_type_desc: 'wsfc' }])
  })

  for (const release of RELEASES)
    test(`on SQL Server ${release} preflight reports the WSFC cluster type and add-replica joins`, async () => {
      const p = await platform(release)
      const { checks, refused } = await preflight(p)
      assert.equal(refused, undefined)
      const type = checks?.find((c) => c.check === 'cluster type')
      assert.equal(type?.status, 'pass')
      assert.match(
        type?.detail ?? '',
        /AG-GIFTCARD is WSFC; failover: ALTER AVAILABILITY GROUP \.\.\. FAILOVER/,
      )
      assert.ok(checks?.some((c) => c.check === 'version' && c.status === 'pass'))
      await run(sqlAddReplica, ADD, p.context())
      assert.ok(p.world.group(AG)?.replicas.some((r) => r.server === 'SQL-AWS-1' && r.joined))
    })

  for (const [version, why] of [
    ['12.0.6024.0', /SQL Server 12\.0\.6024\.0 \(major version 12\) is older than 2016: automatic seeding/],
    ['17.0.1000.7', /SQL Server 17\.0\.1000\.7 \(major version 17\) is newer than the releases/],
  ] as const)
    test(`a replica running ${version} is refused with the reason, before any other query and any change`, async () => {
      const p = await platform(2022)
      p.world.instance('SQL-AWS-1').productVersion = version
      const { refused } = await preflight(p)
      assert.match(refused ?? '', /1 check\(s\) failed/)
      assert.match(refused ?? '', new RegExp(`FAIL sql-aws \\(SQL-AWS-1\\): version: ${why.source}`))
      await assert.rejects(run(sqlAddReplica, ADD, p.context()), why)
      assert.ok(!p.world.group(AG)?.replicas.some((r) => r.server === 'SQL-AWS-1'))
    })

  test('before SQL Server 2016 the seeding views do not exist (Msg 208)', async () => {
    const p = await platform(2022)
    p.world.instance('SQL-AWS-1').productVersion = '12.0.6024.0'
    await assert.rejects(
      query(p, 'SQL-AWS-1', 'SELECT current_state FROM sys.dm_hadr_automatic_seeding'),
      (error: { number?: number }) => error.number === 208,
    )
  })
})

describe('availability group cluster types', () => {
  for (const release of [2017, 2019, 2022] as const) {
    test(`SQL Server ${release}: an EXTERNAL (Pacemaker) AG is refused by preflight and add-replica`, async () => {
      const p = await platform(release)
      const group = p.world.group(AG)
      assert.ok(group)
      group.clusterType = 'EXTERNAL'
      const { refused } = await preflight(p)
      assert.match(refused ?? '', /cluster type: AG-GIFTCARD is EXTERNAL: .*Pacemaker/)
      await assert.rejects(run(sqlAddReplica, ADD, p.context()), /cluster type EXTERNAL: .*pcs/)
      assert.ok(!group.replicas.some((r) => r.server === 'SQL-AWS-1'))
    })

    test(`SQL Server ${release}: a NONE (read-scale) AG takes a replica outside any WSFC, joined WITH (CLUSTER_TYPE = NONE)`, async () => {
      const p = await platform(release)
      const group = p.world.group(AG)
      assert.ok(group)
      group.clusterType = 'NONE'
      p.world.instance('SQL-AWS-1').cluster = null
      const { checks, refused } = await preflight(p)
      assert.equal(refused, undefined)
      const type = checks?.find((c) => c.check === 'cluster type')
      assert.match(
        type?.detail ?? '',
        /is NONE; the replica joins WITH \(CLUSTER_TYPE = NONE\); failover: read-scale/,
      )
      assert.match(type?.detail ?? '', /FORCE_FAILOVER_ALLOW_DATA_LOSS on the target/)
      assert.ok(!checks?.some((c) => c.check === 'cluster'), 'no WSFC membership asked of a NONE AG')
      const t = p.context()
      await run(sqlAddReplica, ADD, t)
      assert.ok(group.replicas.some((r) => r.server === 'SQL-AWS-1' && r.joined))
    })
  }
})

describe('join state', () => {
  for (const release of RELEASES)
    test(`SQL Server ${release}: joined is read from join_state_desc; an added replica that failed to join is joined on the next run`, async () => {
      const p = await platform(release)
      const { listener_ip: _, ...withoutIp } = ADD
      await assert.rejects(run(sqlAddReplica, withoutIp, p.context()), /19456/)
      const states = async () =>
        query(
          p,
          'SQL-ONPREM-1',
          `SELECT replica_server_name, join_state_desc FROM sys.dm_hadr_availability_replica_cluster_states
           ORDER BY replica_server_name`,
        )
      assert.deepEqual(await states(), [
        { replica_server_name: 'SQL-AWS-1', join_state_desc: 'NOT_JOINED' },
        { replica_server_name: 'SQL-ONPREM-1', join_state_desc: 'JOINED_STANDALONE_INSTANCE' },
        { replica_server_name: 'SQL-ONPREM-2', join_state_desc: 'JOINED_STANDALONE_INSTANCE' },
      ])
      const { plan } = await run(sqlAddReplica, ADD, p.context())
      assert.deepEqual(
        plan.changes.map((c) => c.summary).filter((s) => !s.startsWith('add IP')),
        [
          'join AG-GIFTCARD on SQL-AWS-1',
          'grant AG-GIFTCARD CREATE ANY DATABASE on SQL-AWS-1 (automatic seeding)',
        ],
      )
      assert.equal((await states())[0]?.join_state_desc, 'JOINED_STANDALONE_INSTANCE')
    })
})

describe('preflight permissions and backups', () => {
  for (const release of RELEASES) {
    test(`SQL Server ${release}: no full backup in the primary's msdb is a warning when the log chain is live`, async () => {
      const p = await platform(release)
      const primary = p.world.instance('SQL-ONPREM-1')
      primary.backups.splice(0, primary.backups.length)
      const { checks, refused } = await preflight(p)
      assert.equal(refused, undefined)
      const backup = checks?.find((c) => c.on === 'database GiftCard' && c.check === 'full backup')
      assert.equal(backup?.status, 'warn')
      assert.match(backup?.detail ?? '', /backups may run on another replica/)
      assert.ok(
        checks?.some((c) => c.on === 'database GiftCard' && c.check === 'log chain' && c.status === 'pass'),
      )
    })

    test(`SQL Server ${release}: automatic seeding needs CREATE ANY DATABASE on the replica for its GRANT`, async () => {
      const p = await platform(release)
      const login = p.world.instance('SQL-AWS-1').logins.get('migrator')
      assert.ok(login)
      login.sysadmin = false
      login.permissions = ['ALTER ANY AVAILABILITY GROUP', 'VIEW SERVER STATE']
      const { refused } = await preflight(p)
      assert.match(
        refused ?? '',
        /FAIL sql-aws \(SQL-AWS-1\): permissions: automatic seeding runs ALTER AVAILABILITY GROUP \.\.\. GRANT CREATE ANY DATABASE here: the login needs CREATE ANY DATABASE/,
      )
      login.permissions.push('CREATE ANY DATABASE')
      assert.equal((await preflight(p)).refused, undefined)
    })
  }
})

describe('preflight endpoints', () => {
  for (const release of RELEASES)
    test(`SQL Server ${release}: endpoints with no encryption or authentication in common are refused before JOIN meets 35250`, async () => {
      const p = await platform(release)
      const endpoint = p.world.instance('SQL-AWS-1').endpoint
      assert.ok(endpoint)
      endpoint.algorithm = 'RC4'
      endpoint.auth = 'CERTIFICATE'
      const { refused } = await preflight(p)
      assert.match(
        refused ?? '',
        /endpoint encryption: the replica's endpoint offers RC4, the primary's AES: .*\(35250\)/,
      )
      assert.match(
        refused ?? '',
        /endpoint authentication: .* CERTIFICATE, the primary's with NEGOTIATE: .*\(35250\)/,
      )

      endpoint.algorithm = 'NONE_AES'
      endpoint.auth = 'KERBEROS'
      const { checks } = await preflight(p)
      assert.equal(
        checks?.find((c) => c.check === 'endpoint encryption')?.detail,
        'both endpoints accept AES',
      )
      assert.equal(checks?.find((c) => c.check === 'endpoint authentication')?.status, 'pass')
    })

  test("the stand-in: a replica whose endpoint shares nothing with the primary's cannot join (35250)", async () => {
    const p = await platform(2022)
    const endpoint = p.world.instance('SQL-AWS-1').endpoint
    assert.ok(endpoint)
    endpoint.auth = 'CERTIFICATE'
    p.world.group(AG)?.listener?.ips.push({ ip: '10.20.1.50', mask: '255.255.255.0' })
    await query(
      p,
      'SQL-ONPREM-1',
      `ALTER AVAILABILITY GROUP [${AG}] ADD REPLICA ON N'SQL-AWS-1' WITH (ENDPOINT_URL = N'TCP://sql-aws-1:5022',
       AVAILABILITY_MODE = ASYNCHRONOUS_COMMIT, FAILOVER_MODE = MANUAL)`,
    )
    await assert.rejects(query(p, 'SQL-AWS-1', `ALTER AVAILABILITY GROUP [${AG}] JOIN`), /35250/)
    endpoint.auth = 'NEGOTIATE_CERTIFICATE'
    await query(p, 'SQL-AWS-1', `ALTER AVAILABILITY GROUP [${AG}] JOIN`)
    assert.ok(p.world.group(AG)?.replicas.some((r) => r.server === 'SQL-AWS-1' && r.joined))
  })
})

describe('preflight grants', () => {
  for (const release of RELEASES)
    test(`SQL Server ${release}: NT AUTHORITY\\SYSTEM's AG permissions (41131) and CONNECT on each endpoint for the other side's service account`, async () => {
      const p = await platform(release)
      const { checks } = await preflight(p)
      assert.equal(checks?.filter((c) => c.check === 'NT AUTHORITY\\SYSTEM' && c.status === 'pass').length, 2)
      assert.equal(checks?.filter((c) => c.check === 'endpoint CONNECT' && c.status === 'pass').length, 2)

      const aws = p.world.instance('SQL-AWS-1')
      aws.windowsGrants = aws.windowsGrants.filter((g) => g.permission !== 'VIEW SERVER STATE')
      aws.serviceAccount = 'GIFTCARD\\svc-sql-aws'
      const { refused } = await preflight(p)
      assert.match(
        refused ?? '',
        /FAIL sql-aws \(SQL-AWS-1\): NT AUTHORITY\\SYSTEM: lacks VIEW SERVER STATE: .*41131; GRANT VIEW SERVER STATE TO \[NT AUTHORITY\\SYSTEM\]/,
      )
      assert.match(
        refused ?? '',
        /FAIL sql-onprem \(SQL-ONPREM-1\): endpoint CONNECT: GIFTCARD\\svc-sql-aws .* GRANT CONNECT ON ENDPOINT::\[Hadr_endpoint\] TO \[GIFTCARD\\svc-sql-aws\]/,
      )
      assert.match(
        refused ?? '',
        /2 check\(s\) failed/,
        "SQL-AWS-1's endpoint still lets the primary's account in",
      )
    })
})

describe('preflight TDE', () => {
  const THUMBPRINT = '3A7F0C2E9B1D44A5B6C7D8E9F00112233445566F'
  for (const release of RELEASES)
    test(`SQL Server ${release}: a TDE database needs its certificate, by thumbprint and with its private key, on the replica`, async () => {
      const p = await platform(release)
      const primary = p.world.instance('SQL-ONPREM-1')
      const db = p.world.database(primary, 'GiftCard')
      assert.ok(db)
      db.tdeThumbprint = THUMBPRINT
      primary.certificates.push({ name: 'TDE_GiftCard', thumbprint: THUMBPRINT, privateKey: true })
      const missing = await preflight(p)
      assert.match(
        missing.refused ?? '',
        new RegExp(
          `database GiftCard: TDE certificate: encrypted \\(TDE\\) by the certificate with thumbprint 0x${THUMBPRINT}, which the replica does not have`,
        ),
      )
      const aws = p.world.instance('SQL-AWS-1')
      aws.certificates.push({ name: 'TDE_GiftCard', thumbprint: THUMBPRINT, privateKey: false })
      assert.match((await preflight(p)).refused ?? '', /TDE_GiftCard \(0x3A7F.*\) without its private key/)
      const [certificate] = aws.certificates
      assert.ok(certificate)
      certificate.privateKey = true
      const { checks } = await preflight(p)
      assert.equal(checks?.find((c) => c.check === 'TDE certificate')?.status, 'pass')
    })
})

describe('preflight database owner', () => {
  for (const release of RELEASES)
    test(`SQL Server ${release}: a database owned by a login the replica lacks is a warning naming the login`, async () => {
      const p = await platform(release)
      const primary = p.world.instance('SQL-ONPREM-1')
      await query(p, 'SQL-ONPREM-1', `CREATE LOGIN giftcard_owner WITH PASSWORD = N'Owner-login-2024!'`)
      const sid = primary.logins.get('giftcard_owner')?.sid
      assert.ok(sid)
      const db = p.world.database(primary, 'GiftCard')
      assert.ok(db)
      db.owner = 'giftcard_owner'
      const owner = async () => (await preflight(p)).checks?.find((c) => c.check === 'owner')
      const missing = await owner()
      assert.equal(missing?.status, 'warn')
      assert.match(missing?.detail ?? '', /owned by giftcard_owner, which is no login on the replica/)
      await query(
        p,
        'SQL-AWS-1',
        `CREATE LOGIN giftcard_owner WITH PASSWORD = N'Owner-login-2024!', SID = 0x${sid.toString('hex')}`,
      )
      assert.equal((await owner())?.status, 'pass')
    })
})

describe('preflight endpoint certificates', () => {
  const AWS_CERT = { name: 'SQL_AWS_1_endpoint', thumbprint: '0F1E2D3C4B5A69788796A5B4C3D2E1F0A1B2C3D4' }
  for (const release of RELEASES)
    test(`SQL Server ${release}: a replica outside the domain authenticates its endpoint by a certificate the primary must hold`, async () => {
      const p = await platform(release)
      const aws = p.world.instance('SQL-AWS-1')
      const onPrem = p.world.instance('SQL-ONPREM-1')
      assert.ok(aws.endpoint && onPrem.endpoint)
      aws.endpoint.auth = 'CERTIFICATE'
      onPrem.endpoint.auth = 'NEGOTIATE_CERTIFICATE'
      const none = await preflight(p)
      assert.match(
        none.refused ?? '',
        /FAIL sql-aws \(SQL-AWS-1\): endpoint certificate: Hadr_endpoint authenticates with CERTIFICATE but has no certificate/,
      )

      aws.certificates.push({ ...AWS_CERT, privateKey: true })
      aws.endpoint.certificate = AWS_CERT.name
      const unknown = await preflight(p)
      assert.match(
        unknown.refused ?? '',
        /FAIL sql-onprem \(SQL-ONPREM-1\): endpoint certificate: does not have SQL_AWS_1_endpoint \(0x0F1E2D3C/,
      )
      onPrem.certificates.push({ ...AWS_CERT, privateKey: false })
      const { checks, refused } = await preflight(p)
      assert.match(
        refused ?? '',
        /endpoint certificate: Hadr_endpoint authenticates with NEGOTIATE_CERTIFICATE but has no certificate/,
      )
      assert.equal(checks, undefined)
      const ON_PREM_CERT = {
        name: 'SQL_ONPREM_1_endpoint',
        thumbprint: 'AA1E2D3C4B5A69788796A5B4C3D2E1F0A1B2C3BB',
      }
      onPrem.certificates.push({ ...ON_PREM_CERT, privateKey: true })
      onPrem.endpoint.certificate = ON_PREM_CERT.name
      aws.certificates.push({ ...ON_PREM_CERT, privateKey: false })
      const passed = await preflight(p)
      assert.equal(passed.refused, undefined)
      assert.deepEqual(
        passed.checks?.filter((c) => c.check === 'endpoint certificate').map((c) => c.status),
        ['pass', 'pass'],
      )
    })
})
