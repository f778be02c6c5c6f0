import type { Change } from '../engine/events.js'
import type { Block, Section } from './blocks.js'
import { drillSection, loadSection } from './drill-sections.js'
import type { ChainHead, ReportModel } from './model.js'
import type { Timeline } from './timeline.js'
import { formatDuration, formatTime, oneLine } from './values.js'

type TableBlock = Extract<Block, { kind: 'table' }>

const since = (model: ReportModel, at: number) => `+${formatDuration(Math.max(0, at - model.timeline.start))}`

function summary(model: ReportModel): Section {
  const ms = Date.parse(model.endedAt) - Date.parse(model.startedAt)
  const rows: Array<[string, string]> = [
    ['run', model.runId],
    ['runbook', `${model.runbook.name} (${model.runbook.file})`],
    ['runbook sha256', model.runbook.hash],
    ['status', model.dryRun ? `${model.status} (dry run: nothing was changed)` : model.status],
    ['started', formatTime(model.startedAt)],
    ['last event', `${formatTime(model.endedAt)} (${formatDuration(ms)} after the start)`],
    ['operator', model.sessions[0] ? identity(model.sessions[0]) : ''],
  ]
  if (model.chain) rows.push(['journal chain head', chainText(model.chain)])
  return { id: 'summary', title: 'Summary', blocks: [{ kind: 'facts', rows }] }
}

function chainText(chain: ChainHead): string {
  if (!chain.chained) return 'none: the journal was written before events were chained'
  const head = chain.head ?? 'no event'
  return chain.intact ? `${head} (intact)` : `${head} (NOT intact: ${chain.problems.join('; ')})`
}

const identity = (w: { operator: string; osUser?: string; host: string; awsIdentity?: string }) =>
  `${w.operator}${w.osUser && w.osUser !== w.operator ? ` (OS user ${w.osUser})` : ''} on ${w.host}${
    w.awsIdentity ? `, AWS identity ${w.awsIdentity}` : ''
  }`

function timelineRows(model: ReportModel, timeline: Timeline): string[][] {
  return timeline.rows.map((row) => {
    const spans = row.bars.filter((b) => b.kind !== 'stage')
    const first = spans[0]?.start
    const parts = spans.map(
      (b) => `${since(model, b.start)} ${b.label || b.kind} (${formatDuration(b.end - b.start)})`,
    )
    const stages = row.bars
      .filter((b) => b.kind === 'stage')
      .map((b) => `${b.label} at ${since(model, b.end)}`)
    const marks = row.marks.map((m) => `${m.label} at ${since(model, m.at)}`)
    return [
      row.level === 'step'
        ? `${row.phase} › ${row.id}`
        : row.level === 'rollback'
          ? `rollback ${row.id}`
          : row.id,
      first === undefined ? '' : since(model, first),
      first === undefined ? 'not run' : formatDuration(spans.reduce((sum, b) => sum + b.end - b.start, 0)),
      [...parts, ...stages, ...marks].join('; '),
    ]
  })
}

function timeline(model: ReportModel): Section {
  return {
    id: 'timeline',
    title: 'Timeline',
    blocks: [
      { kind: 'gantt' },
      {
        kind: 'table',
        head: ['phase / step', 'start', 'took', 'what happened'],
        rows: timelineRows(model, model.timeline),
      },
    ],
  }
}

/** A section that is one table. */
const tableSection = (id: string, title: string, table: Omit<TableBlock, 'kind'>): Section => ({
  id,
  title,
  blocks: [{ kind: 'table', ...table }],
})

const sessions = (model: ReportModel) =>
  tableSection('operators', 'Who acted', {
    head: ['when', 'what', 'operator', 'OS user', 'host (pid)', 'AWS identity'],
    rows: model.sessions.map((s) => [
      formatTime(s.at),
      s.action,
      s.operator,
      s.osUser ?? '',
      `${s.host} (${s.pid})`,
      s.awsIdentity ?? '',
    ]),
  })

function approvals(model: ReportModel): Section {
  return {
    id: 'approvals',
    title: 'Approvals',
    blocks: [
      model.approvals.length === 0
        ? { kind: 'text', text: 'No approval was given in this run.' }
        : {
            kind: 'table',
            head: ['when', 'what', 'who', 'proven as', 'how', 'reason'],
            rows: model.approvals.map((a) => [
              formatTime(a.at),
              `${a.kind} ${a.what}`,
              a.operator,
              [
                a.approver ? `approver: ${a.approver.identity} ${a.approver.name}` : '',
                a.osUser ? `OS user ${a.osUser}` : '',
                a.awsIdentity ?? '',
              ]
                .filter(Boolean)
                .join('; '),
              a.via === 'flag' ? `flag ${a.flag ?? ''}`.trim() : 'at the prompt',
              a.reason,
            ]),
          },
    ],
  }
}

const changeLine = (c: Change) =>
  `${c.action} ${c.target}: ${c.summary}${c.manualUndo ? ' (manual undo)' : ''}`

const TONE: Record<string, string> = {
  applied: 'good',
  'already done': 'good',
  failed: 'bad',
  'failed, continued': 'warn',
  interrupted: 'bad',
  'undo unfinished': 'bad',
  'undone by rollback': 'undone',
  'undone by hand': 'undone',
}

const planVersusRun = (model: ReportModel) =>
  tableSection('plan', 'Plan versus what happened', {
    head: ['phase', 'step', 'uses', 'planned changes', 'what happened', 'attempts'],
    rows: model.steps.map((s) => [
      s.phase,
      s.step,
      s.uses,
      s.planned.length === 0
        ? 'no change (read-only, or already as wanted)'
        : s.planned.map(changeLine).join('\n'),
      s.detail ? `${s.outcome}: ${s.detail}` : s.outcome,
      String(s.attempts),
    ]),
    tone: model.steps.map((s) => TONE[s.outcome]),
  })

function evidence(model: ReportModel): Section {
  return {
    id: 'evidence',
    title: 'Gate evidence and step outputs',
    blocks: [
      {
        kind: 'text',
        text: 'What each step read or produced, as journaled (alarm states, health rounds, sync states, latencies). Readings of a step a rollback went past are marked: they tell what held before the rollback.',
      },
      ...model.evidence.flatMap((e): Block[] => [
        { kind: 'subtitle', text: `${e.step} (${e.uses})${e.undone ? ' — read before the rollback' : ''}` },
        ...(e.rows.length > 0
          ? [{ kind: 'table', head: ['reading', 'value'], rows: e.rows } satisfies Block]
          : []),
        ...e.tables.flatMap((t): Block[] => [
          { kind: 'text', text: `${t.path}:` },
          { kind: 'table', head: t.head, rows: t.rows },
        ]),
        ...(e.more > 0 ? [{ kind: 'text', text: `… and ${e.more} more readings` } satisfies Block] : []),
      ]),
    ],
  }
}

function listOr(id: string, title: string, items: string[], none: string): Section {
  return { id, title, blocks: [items.length === 0 ? { kind: 'text', text: none } : { kind: 'list', items }] }
}

function params(model: ReportModel): Section {
  return {
    id: 'params',
    title: 'Params',
    blocks: [{ kind: 'facts', rows: Object.entries(model.params).map(([k, v]) => [k, oneLine(v, 400)]) }],
  }
}

/** The report's sections, in the order an auditor reads them. */
export function reportSections(model: ReportModel): Section[] {
  const sections: Array<Section | undefined> = [
    summary(model),
    model.drill ? drillSection(model.drill) : undefined,
    sessions(model),
    timeline(model),
    loadSection(model),
    approvals(model),
    planVersusRun(model),
    evidence(model),
    listOr('warnings', 'Warnings', model.warnings, 'No warnings.'),
    listOr(
      'errors',
      'Failures',
      model.errors.map(
        (e) =>
          `${formatTime(e.at)} ${e.where}: ${e.error.message}${e.error.hint ? ` (hint: ${e.error.hint})` : ''}`,
      ),
      'No step failed.',
    ),
    listOr(
      'rollback',
      'Rollback record',
      model.rollback.map((r) => `${formatTime(r.at)} ${r.what}`),
      'No rollback in this run.',
    ),
    params(model),
  ]
  return sections.filter((s): s is Section => s !== undefined)
}

export const reportTitle = (model: ReportModel) =>
  `${model.drill ? 'Drill report' : 'Cutover report'}: ${model.runbook.name}, run ${model.runId}`
