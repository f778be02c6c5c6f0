// The demo platform's whole world as plain data, and what changed between two snapshots of it: how a
// rehearsal (and a drill) proves that rollback put everything back.
import type { DemoPlatform } from './demo-platform.js'
import { DEMO_PLATFORM } from './demo-platform.js'
import { asTree, covers, type Difference, diffTrees, pointer, type Tree } from './world-diff.js'

export type WorldSnapshot = Tree

/**
 * Route 53, EC2, SSM (patch states too), CloudWatch, SNS, STS, ELBv2, Auto Scaling, the SQL Servers and
 * their AG, AD (repadmin and LDAP), IIS.
 */
export async function snapshotWorld(platform: DemoPlatform): Promise<WorldSnapshot> {
  return asTree({
    aws: platform.aws.world.snapshotState(),
    sql: platform.sql.world.snapshotState(),
    ad: {
      ...platform.ad.snapshotState(),
      directory: platform.ldap ? await platform.ldap.snapshotState() : 'not running',
    },
    iis: { servers: platform.fleet.snapshotState(), health: platform.iis.snapshotState() },
  })
}

/** What may legitimately differ after a rollback: histories that only grow, clocks, and what rollback keeps on purpose. */
export const KEPT: { path: string[]; why: string }[] = [
  {
    path: ['aws', 'ec2', 'snapshots'],
    why: 'EBS snapshots the run took: rollback keeps them as the way back',
  },
  { path: ['aws', 'route53', 'changes'], why: "Route 53's change ids: its history only grows" },
  { path: ['aws', 'route53', 'history'], why: 'change batches Route 53 applied: its history only grows' },
  { path: ['aws', 'ssm', 'commands'], why: "commands sent through SSM: Run Command's history only grows" },
  { path: ['aws', 'sns', 'messages'], why: 'a notification published cannot be taken back' },
  { path: ['aws', 'cloudwatch', 'alarms', '*', 'updatedAt'], why: 'when an alarm last changed: a timestamp' },
  ...['logBytes', 'lastCommitTime', 'syncSince'].map((field) => ({
    path: ['sql', 'instances', '*', 'databases', '*', field],
    why: 'log position and commit times: the databases keep taking writes while the run goes on',
  })),
  {
    path: ['sql', 'instances', '*', 'databases', '*', 'lastLogBackupBytes'],
    why: 'a log backup (manual seeding takes one) moves the log chain on for good',
  },
  {
    path: ['sql', 'instances', '*', 'nextDatabaseId'],
    why: 'a sequence counter: SQL Server does not reuse a database_id',
  },
  { path: ['sql', 'instances', '*', 'backups'], why: "msdb's backup history only grows" },
  {
    path: ['sql', 'backupFiles'],
    why: 'backup files manual seeding wrote to the share: rollback keeps them for the DBA',
  },
  { path: ['sql', 'seeds'], why: "sys.dm_hadr_automatic_seeding's history only grows" },
  { path: ['sql', 'statementCounts'], why: 'statements answered: a request log' },
  { path: ['iis', 'health', '*', 'requests'], why: 'requests the health endpoints served: a request log' },
  {
    path: ['ad', 'directory', '*', DEMO_PLATFORM.ldap.canary.toLowerCase(), 'description'],
    why: 'the canary ad.sync writes to prove replication: the runbook gives that object to switchyard',
  },
]

export interface WorldDiff {
  /** Where the worlds differ, outside what KEPT allows. */
  differences: Difference[]
  /** Allowed differences that did occur, each with its reason and how many paths it covered. */
  kept: { path: string; why: string; paths: number }[]
}

export function diffWorlds(before: WorldSnapshot, after: WorldSnapshot): WorldDiff {
  const differences: Difference[] = []
  const kept = new Map<(typeof KEPT)[number], number>()
  for (const difference of diffTrees(before, after)) {
    const rule = KEPT.find((k) => covers(k.path, difference.path))
    if (rule) kept.set(rule, (kept.get(rule) ?? 0) + 1)
    else differences.push(difference)
  }
  return {
    differences,
    kept: [...kept].map(([rule, paths]) => ({ path: pointer(rule.path), why: rule.why, paths })),
  }
}

const shown = (value: Tree | undefined) => {
  const text = JSON.stringify(value)
  return text.length > 160 ? `${text.slice(0, 157)}...` : text
}

/** One line per difference: `changed /sql/... "ONLINE" -> "RESTORING"`. */
export function describeDifferences(differences: Difference[]): string[] {
  return differences.map((d) =>
    d.kind === 'changed'
      ? `changed ${pointer(d.path)}: ${shown(d.before)} -> ${shown(d.after)}`
      : `${d.kind} ${pointer(d.path)}: ${shown(d.kind === 'added' ? d.after : d.before)}`,
  )
}
