// The sql.seed-replica polling benchmark: `BENCH_ONLY=seeding npm run bench` (part of `npm run bench`).
//
// Runs the step in this process against the sandbox's SQL Servers (real mssql over TDS), seeding
// GiftCard (2 GB) and GiftCardAudit (500 MB) automatically, and counts every statement the sandbox
// answered while the step watched: the cost of watching, in queries per minute per database. Then
// injects a seed failure (transport, target side) and times how long the step takes to report it
// after the sandbox marked the seed FAILED, for two poll intervals.

import type { Target } from '../src/runbook/model.ts'
import { demoSqlWorld, type SqlWorld, startSqlSandbox } from '../src/sandbox/sql/index.ts'
import type { StepImplementation } from '../src/steps/contract.ts'
import { sqlAddReplica } from '../src/steps/sql/add-replica.ts'
import { type SeedReplicaParams, sqlSeedReplica } from '../src/steps/sql/seed-replica.ts'
import { createStepContext } from '../test/helpers/step-context.ts'
import { median } from './stats.ts'

const PASSWORD = 'bench-password-1'
const MB = 1024 * 1024
const AG = 'AG-GIFTCARD'

export interface SeedingReport {
  polling: Array<{
    pollMs: number
    seconds: number
    databases: number
    queries: Record<string, number>
    perMinutePerDb: number
  }>
  failure: Array<{ pollMs: number; delaysMs: number[] }>
}

async function world(rate: number) {
  const w = demoSqlWorld({ password: PASSWORD, seedingBytesPerSecond: rate, synchronizeAfterMs: 100 })
  const sandbox = await startSqlSandbox({ world: w })
  const target = (name: string): Target => ({ sql: sandbox.target(name, { password: PASSWORD }) })
  const targets = { 'sql-onprem': target('SQL-ONPREM-1'), 'sql-aws': target('SQL-AWS-1') }
  const context = () => createStepContext({ workdir: process.cwd(), targets, secrets: [PASSWORD] })
  const add = context()
  const addParams = sqlAddReplica.params.parse({
    ag: AG,
    primary: 'sql-onprem',
    replica: 'sql-aws',
    endpoint_url: 'TCP://sql-aws-1.giftcard.local:5022',
    listener_ip: { listener: 'giftcard-lsn', ip: '10.20.1.50', mask: '255.255.255.0' },
  })
  const addStep = (await sqlAddReplica.load()) as StepImplementation<typeof addParams>
  await addStep.apply(add.ctx, addParams, await addStep.plan(add.ctx, addParams))
  await add.close()
  return { world: w, context, close: () => sandbox.close() }
}

const seedParams = (databases: string[], pollMs: number, extra: Record<string, unknown> = {}) =>
  sqlSeedReplica.params.parse({
    ag: AG,
    primary: 'sql-onprem',
    replica: 'sql-aws',
    databases,
    seeding: 'automatic',
    poll: `${pollMs}ms`,
    ...extra,
  }) as SeedReplicaParams

const snapshot = (w: SqlWorld) => new Map(w.statementCounts)

async function pollingCost(pollMs: number) {
  const platform = await world(100 * MB) // 2.5 GB in ~25 s
  const step = (await sqlSeedReplica.load()) as StepImplementation<SeedReplicaParams>
  const t = platform.context()
  const params = seedParams(['GiftCard', 'GiftCardAudit'], pollMs)
  const plan = await step.plan(t.ctx, params)
  const before = snapshot(platform.world)
  const started = performance.now()
  await step.apply(t.ctx, params, plan)
  const seconds = (performance.now() - started) / 1000
  const queries: Record<string, number> = {}
  for (const [key, count] of platform.world.statementCounts) {
    const added = count - (before.get(key) ?? 0)
    if (added > 0) queries[key] = added
  }
  await t.close()
  await platform.close()
  const total = Object.values(queries).reduce((a, b) => a + b, 0)
  return { pollMs, seconds, databases: 2, queries, perMinutePerDb: total / (seconds / 60) / 2 }
}

async function failureDelay(pollMs: number, runs: number) {
  const delaysMs: number[] = []
  for (let i = 0; i < runs; i++) {
    const platform = await world(150 * MB)
    platform.world.failNextSeed('SQL-AWS-1', 'GiftCard', 206, 10054)
    const step = (await sqlSeedReplica.load()) as StepImplementation<SeedReplicaParams>
    const t = platform.context()
    const params = seedParams(['GiftCard'], pollMs, { seed_attempts: 1 })
    const plan = await step.plan(t.ctx, params)
    const reported = await step.apply(t.ctx, params, plan).then(
      () => undefined,
      (error: Error) => {
        if (!/failed: .*target side/.test(error.message)) throw error
        return Date.now()
      },
    )
    const failed = platform.world.seeds.find((s) => s.state === 'FAILED')?.completionTime
    if (reported === undefined || failed == null)
      throw new Error('the injected seed failure was not reported')
    delaysMs.push(reported - failed)
    await t.close()
    await platform.close()
  }
  return { pollMs, delaysMs }
}

export async function runSeedingBenchmark(log: (text: string) => void): Promise<SeedingReport> {
  const polling = []
  for (const pollMs of [1000, 2000]) {
    log(`seeding: polling cost at poll ${pollMs} ms ...`)
    polling.push(await pollingCost(pollMs))
  }
  const failure = []
  for (const pollMs of [500, 2000]) {
    log(`seeding: failure-to-report delay at poll ${pollMs} ms ...`)
    failure.push(await failureDelay(pollMs, 5))
  }
  return { polling, failure }
}

export function seedingMarkdown(report: SeedingReport, tree: string): string {
  const rows = report.polling.map((p) => {
    const primary = Object.entries(p.queries)
      .filter(([k]) => k.startsWith('SQL-ONPREM-1'))
      .reduce((a, [, n]) => a + n, 0)
    const replica = Object.entries(p.queries)
      .filter(([k]) => k.startsWith('SQL-AWS-1'))
      .reduce((a, [, n]) => a + n, 0)
    const at10s = (p.perMinutePerDb * p.pollMs) / 10_000
    return `| ${p.pollMs / 1000} s | ${p.seconds.toFixed(1)} s | ${primary} | ${replica} | ${p.perMinutePerDb.toFixed(1)} | ${at10s.toFixed(1)} |`
  })
  const failures = report.failure.map(
    (f) =>
      `| ${f.pollMs / 1000} s | ${Math.round(median(f.delaysMs))} ms | ${Math.round(Math.max(...f.delaysMs))} ms | ${f.delaysMs.map(Math.round).join(', ')} |`,
  )
  return `## Seeding: polling cost and failure detection

\`BENCH_ONLY=seeding npm run bench\` (bench/seeding.ts). sql.seed-replica runs in the benchmark's process against
the sandbox's SQL Servers over TDS (the real mssql client), seeding GiftCard (2 GB) and GiftCardAudit (500 MB)
automatically at 100 MB/s; every statement the sandbox answered while the step ran is counted. ${tree}

| poll | seed took | statements on the primary | on the replica | queries per minute per database | scaled to the default 10 s poll |
|---|---|---|---|---|---|
${rows.join('\n')}

A poll round reads the primary three times for all databases together (replica states, running seeds,
seed history: shared while fresh for half a poll) and the replica once per database; the count includes
the step's start (grant, ADD/MODIFY, the first reads). The default \`poll: 10s\` therefore costs about
${(report.polling[0] ? (report.polling[0].perMinutePerDb * report.polling[0].pollMs) / 10_000 : 0).toFixed(1)} queries per minute per database.

Time from the sandbox marking a seed FAILED (transport, target side; \`seed_attempts: 1\`) to the step
failing with SQL Server's reason, 5 runs each:

| poll | median | max | runs |
|---|---|---|---|
${failures.join('\n')}

A failure is seen at the next poll: the delay is bounded by the poll interval plus one round of reads.
`
}
