// The SQL Server steps through the built CLI and its engine, against the sandbox's SQL Servers living
// in this test process: a crash in the middle of a seed, resumed without starting the seed again;
// then rollback — refused while failing back would lose data, done once it would not.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { demoSqlWorld, type SqlSandbox, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import { allBytes, journalEvents, startSwitchyard, tempDir, waitUntil, writeRunbook } from './helpers/cli.ts'

/** The CLI as a child process that does not block this one: the SQL Servers answer from here. */
const switchyard = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  startSwitchyard(cwd, args, env).done

const PASSWORD = 'Crash-me-if-you-can-7'
const MB = 1024 * 1024
const scratch = tempDir('sql-cli')
let sandbox: SqlSandbox
let world: SqlWorld

before(async () => {
  world = demoSqlWorld({ password: PASSWORD, seedingBytesPerSecond: 300 * MB, synchronizeAfterMs: 200 })
  sandbox = await startSqlSandbox({ world })
})
after(async () => {
  await sandbox?.close()
  scratch.cleanup()
})

const server = (name: string) => {
  const at = sandbox.instances[name]
  if (!at) throw new Error(`no instance ${name}`)
  return `${at.host},${at.port}`
}

const runbook = () => `version: 1
name: sql-move
secrets:
  sqlPassword: { from: env:SQL_PASSWORD }
x-login: &login { user: migrator, password: "\${{ secrets.sqlPassword }}", encrypt: false, trust_server_certificate: true }
targets:
  sql-onprem: { sql: { server: "${server('SQL-ONPREM-1')}", <<: *login } }
  sql-aws:    { sql: { server: "${server('SQL-AWS-1')}", <<: *login } }
phases:
  - id: replicate
    steps:
      - id: add
        uses: sql.add-replica
        with:
          ag: AG-GIFTCARD
          primary: sql-onprem
          replica: sql-aws
          endpoint_url: TCP://sql-aws-1.giftcard.local:5022
          listener_ip: { listener: giftcard-lsn, ip: 10.20.1.50, mask: 255.255.255.0 }
      - id: seed
        uses: sql.seed-replica
        needs: [add]
        with: { ag: AG-GIFTCARD, primary: sql-onprem, replica: sql-aws, databases: [GiftCard, GiftCardAudit], seeding: automatic, poll: 100ms }
  - id: cutover
    steps:
      - id: failover
        uses: sql.failover
        with: { ag: AG-GIFTCARD, primary: sql-onprem, to: sql-aws, poll: 100ms, sync_timeout: 3s }
`

const env = { SQL_PASSWORD: PASSWORD }
const primary = () => world.group('AG-GIFTCARD')?.replicas.find((r) => r.role === 'PRIMARY')?.server
let dir = ''

test('killed in the middle of a seed, the resumed run re-attaches to it instead of seeding again', async () => {
  dir = `${scratch.dir}/move`
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dir)
  writeRunbook(dir, runbook())
  const run = startSwitchyard(dir, ['run', 'runbook.yaml'], env)
  await waitUntil(() => (world.activeSeed('SQL-AWS-1', 'GiftCard')?.transferredBytes ?? 0) > 0)
  run.child.kill('SIGKILL')
  await run.done
  assert.equal(world.seedCount('SQL-AWS-1', 'GiftCard'), 1)

  assert.equal((await switchyard(dir, ['unlock', 'sql-move', '--force'])).code, 0)
  const resumed = await switchyard(dir, ['resume'], env)
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
  assert.equal(world.seedCount('SQL-AWS-1', 'GiftCard'), 1, 'the running seed was not started again')
  assert.equal(world.seedCount('SQL-AWS-1', 'GiftCardAudit'), 1)
  assert.equal(primary(), 'SQL-AWS-1')
  const events = journalEvents(dir)
  assert.ok(events.some((e) => e.type === 'run-completed'))
  for (const where of [resumed.stdout, resumed.stderr, allBytes(`${dir}/.switchyard`)])
    assert.ok(!where.includes(PASSWORD), 'the SQL password appears nowhere')
})

test('rollback refuses a fail-back that would lose data, and fails back once it would not', async () => {
  assert.ok(dir, 'runs after the crash test')
  const preview = await switchyard(dir, ['rollback', '--to', 'start', '--dry-run'], env)
  assert.match(
    preview.stdout,
    /undo\s+replicate\.add \(left for an operator: listener giftcard-lsn\)\n\s+remove replica SQL-AWS-1 from AG-GIFTCARD and drop the copies it received since it joined\n\s+leave listener IP \S+ on giftcard-lsn for an operator/,
  )
  assert.match(
    preview.stdout,
    /undo\s+cutover\.failover\n\s+fail AG-GIFTCARD back to SQL-ONPREM-1 if no data would be lost/,
  )
  world.neverSynchronize('SQL-ONPREM-1')
  const refused = await switchyard(dir, ['rollback', '--to', 'start'], env)
  assert.notEqual(refused.code, 0)
  assert.match(refused.stdout + refused.stderr, /fail-back to SQL-ONPREM-1 refused: it would lose data/)
  assert.equal(primary(), 'SQL-AWS-1', 'AWS stays primary')
  assert.ok(
    world.group('AG-GIFTCARD')?.replicas.some((r) => r.server === 'SQL-AWS-1'),
    'nothing undone past it',
  )

  world.neverSynchronize('SQL-ONPREM-1', false)
  const back = await switchyard(dir, ['rollback', '--to', 'start'], env)
  assert.equal(back.code, 0, back.stdout + back.stderr)
  assert.equal(primary(), 'SQL-ONPREM-1')
  assert.ok(
    !world.group('AG-GIFTCARD')?.replicas.some((r) => r.server === 'SQL-AWS-1'),
    'the AWS replica is removed',
  )
  assert.deepEqual(
    world.instance('SQL-AWS-1').databases.map((d) => d.name),
    [],
    'no RESTORING copy is left behind on SQL-AWS-1',
  )
})

test('a failed preflight is not retried: nothing was changed, and another attempt would find the same', async () => {
  const preflightDir = `${scratch.dir}/preflight`
  const { mkdirSync } = await import('node:fs')
  mkdirSync(preflightDir)
  writeRunbook(
    preflightDir,
    `version: 1
name: sql-preflight
secrets:
  sqlPassword: { from: env:SQL_PASSWORD }
x-login: &login { user: migrator, password: "\${{ secrets.sqlPassword }}", encrypt: false, trust_server_certificate: true }
targets:
  sql-onprem: { sql: { server: "${server('SQL-ONPREM-1')}", <<: *login } }
  sql-aws:    { sql: { server: "${server('SQL-AWS-1')}", <<: *login } }
defaults:
  retry: { attempts: 3, backoff: 10ms }
phases:
  - id: preflight
    steps:
      - { id: check, uses: sql.preflight, with: { ag: AG-GIFTCARD, primary: sql-onprem, replica: sql-aws, databases: [NoSuchDatabase] } }
`,
  )
  const result = await switchyard(preflightDir, ['run', 'runbook.yaml'], env)
  assert.notEqual(result.code, 0)
  assert.match(result.stdout, /preflight\.check failed: preflight for AG-GIFTCARD: \d+ check\(s\) failed/)
  assert.doesNotMatch(result.stdout, /retrying|attempt 2/)
  assert.equal(journalEvents(preflightDir).filter((e) => e.type === 'step-started').length, 1)
})
