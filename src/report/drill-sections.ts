import type { DrillRecord } from '../engine/events.js'
import type { Block, Section } from './blocks.js'
import type { ReportModel } from './model.js'
import { asTable, formatDuration, formatTime, oneLine } from './values.js'

const ms = (v: number | null) => (v === null ? 'not measured' : formatDuration(v))

/** Records that share their fields as a table block; anything else as a list of lines. */
function recordsBlock(records: readonly unknown[]): Block {
  const table = asTable('', records)
  return table
    ? { kind: 'table', head: table.head, rows: table.rows }
    : { kind: 'list', items: records.map((r) => oneLine(r, 400)) }
}

function rpoFacts(rpo: DrillRecord['rpo']): string {
  if (rpo.lost_commit_ms === 0 && rpo.lost_bytes === 0) return 'none: 0 ms of commits, 0 bytes of log lost'
  return `${formatDuration(rpo.lost_commit_ms)} of commits, ${rpo.lost_bytes} bytes of log lost`
}

export function drillSection(d: DrillRecord): Section {
  const requests =
    d.failed_requests === null || d.total_requests === null
      ? 'not measured (no load during the drill)'
      : `${d.failed_requests} of ${d.total_requests}`
  return {
    id: 'drill',
    title: 'Drill',
    blocks: [
      {
        kind: 'facts',
        rows: [
          ['verdict', d.passed ? 'PASSED' : 'FAILED'],
          ['detection time', ms(d.detection_ms)],
          ['RTO (traffic back on-prem)', ms(d.rto_ms)],
          ['RPO (SQL data loss)', rpoFacts(d.rpo)],
          ['requests failed', requests],
          ...(d.failed_outside_window === null
            ? []
            : [["of them outside the fault's window", String(d.failed_outside_window)] as [string, string]]),
          [
            'world diff after rollback',
            d.world_diff.length === 0 ? 'empty' : `${d.world_diff.length} difference(s)`,
          ],
        ],
      },
      ...(d.reasons.length > 0
        ? [
            { kind: 'subtitle', text: 'Why it did not pass' } as const,
            { kind: 'list', items: d.reasons } as const,
          ]
        : []),
      { kind: 'subtitle', text: 'Faults injected' },
      {
        kind: 'table',
        head: ['fault', 'at step', 'injected', 'detected', 'after'],
        rows: d.faults.map((f) => [
          f.name,
          f.step,
          f.injectedAt ? formatTime(f.injectedAt) : 'not fired',
          f.detectedAt ? formatTime(f.detectedAt) : 'not detected',
          f.detectedAt && f.injectedAt
            ? formatDuration(Date.parse(f.detectedAt) - Date.parse(f.injectedAt))
            : '',
        ]),
      },
      { kind: 'subtitle', text: 'SQL Server, per database (RPO)' },
      recordsBlock(d.rpo.databases),
      { kind: 'subtitle', text: 'World diff after rollback' },
      d.world_diff.length === 0
        ? {
            kind: 'text',
            text: 'No difference: the world after the rollback equals the world before the drill.',
          }
        : { kind: 'list', items: d.world_diff },
      ...(d.kept.length > 0
        ? [{ kind: 'subtitle', text: 'Kept on purpose (not differences)' } as const, recordsBlock(d.kept)]
        : []),
    ],
  }
}

export function loadSection(model: ReportModel): Section | undefined {
  if (!model.load) return undefined
  const { total, failed, buckets, rps, reasons, failures } = model.load
  const failing = buckets.filter((b) => b.failed > 0)
  return {
    id: 'requests',
    title: 'Requests during the run',
    blocks: [
      { kind: 'text', text: `${total} requests${rps ? ` at ${rps} a second` : ''}, ${failed} failed.` },
      { kind: 'curve' },
      ...(reasons && Object.keys(reasons).length > 0
        ? [
            {
              kind: 'table',
              head: ['why they failed', 'requests'],
              rows: Object.entries(reasons).map(([why, n]) => [why, String(n)]),
            } satisfies Block,
          ]
        : []),
      ...(failures && failures.length > 0
        ? [
            { kind: 'subtitle', text: 'The first failed requests' } as const,
            recordsBlock(failures.slice(0, 20)),
          ]
        : []),
      failing.length === 0
        ? { kind: 'text', text: 'No interval had a failed request.' }
        : {
            kind: 'table',
            head: ['interval', 'ok', 'failed', 'to AWS', 'to on-prem'],
            rows: failing.map((b) => [b.at, String(b.ok), String(b.failed), String(b.aws), String(b.onprem)]),
            tone: failing.map(() => 'bad'),
          },
    ],
  }
}
