// What a person reads at the end of a drill.
import type { DrillResult } from './run-drill.js'

const ms = (value: number | null) => (value === null ? 'n/a' : `${value} ms`)

export function summaryLines(result: DrillResult): string[] {
  const lines = [`drill ${result.passed ? 'PASSED' : 'FAILED'}: run ${result.runId}`]
  for (const fault of result.faults) {
    const when = fault.injectedAt
      ? `injected ${fault.injectedAt}, ${fault.detectedAt ? `noticed ${fault.detectedAt}` : 'no step failed after it'}`
      : 'never fired'
    lines.push(`  fault ${fault.name} at ${fault.step}: ${when}`)
  }
  lines.push(
    `  run: ${result.runOutcome}; rollback to start: ${result.rollback}`,
    `  detection: ${ms(result.detection_ms)} (fault to the first step failing, wall clock)`,
    `  RTO: ${ms(result.rto_ms)} (fault to all traffic on-prem as the sandbox's Route 53 answers, wall clock)`,
    `  RPO: ${result.rpo.lost_commit_ms} ms of commits, ${result.rpo.lost_bytes} bytes of log lost`,
  )
  for (const db of result.rpo.databases)
    lines.push(
      `    ${db.database}: ${db.primary_at_fault} LSN ${db.lsn_at_fault} at the fault, ${db.primary_after} LSN ${db.lsn_after} after`,
    )
  lines.push(
    result.total_requests === null
      ? '  requests: no load (--load 0)'
      : `  requests: ${result.failed_requests} of ${result.total_requests} failed, ${result.failed_outside_window} of them outside the fault's window${failedWhen(result)}`,
  )
  if (result.world_diff.length === 0) lines.push('  world after rollback: as before')
  else {
    lines.push(`  world after rollback: ${result.world_diff.length} difference(s)`)
    for (const line of result.world_diff) lines.push(`    ${line}`)
  }
  for (const kept of result.kept) lines.push(`    kept ${kept.path}: ${kept.why}`)
  for (const reason of result.reasons) lines.push(`  why it failed: ${reason}`)
  return lines
}

/** When the failed requests were sent, by second: they should fall inside the detection window. */
function failedWhen(result: DrillResult): string {
  const seconds = (result.load?.buckets ?? []).filter((b) => b.failed > 0).map((b) => `${b.at} ${b.failed}`)
  return seconds.length > 0 ? ` (sent at: ${seconds.join(', ')})` : ''
}
